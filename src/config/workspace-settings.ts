import { z } from "zod";

/** How a task's branch is handed over when the task succeeds. */
export const DeliverMode = z.enum(["branch", "pr", "merge"]);
export type DeliverMode = z.infer<typeof DeliverMode>;

/** Where worktrees live and how long they are kept (`drover workspace gc`). */
export const WorkspaceSettings = z.strictObject({
  root: z
    .string()
    .optional()
    .describe(
      "Where task worktrees are created (default: <stateDir>/worktrees); relative to the config file.",
    ),
  keepDays: z
    .number()
    .min(0)
    .default(14)
    .describe("`drover workspace gc` removes worktrees of tasks that ended more than this many days ago."),
  cacheDir: z
    .string()
    .optional()
    .describe(
      "Dependency cache shared by every worktree's setup (npm, pnpm, yarn) (default: <stateDir>/cache).",
    ),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

/** Settings of one repository tasks name with `repo:` (key: its path, relative to the config file). */
export const RepoSettings = z.strictObject({
  copy: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'Files copied from the main tree into each worktree when present, e.g. [".env", ".env.local"].',
    ),
  setup: z
    .string()
    .min(1)
    .optional()
    .describe('Command run once in each new worktree (e.g. "npm ci"); its output is in the task\'s events.'),
  requireClean: z
    .boolean()
    .default(false)
    .describe("Refuse tasks based on HEAD while the main tree has uncommitted changes."),
  remote: z.string().min(1).default("origin").describe("Remote that `deliver: pr` pushes to."),
  github: z
    .strictObject({
      apiUrl: z
        .url()
        .default("https://api.github.com")
        .describe("GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)."),
      repo: z
        .string()
        .regex(/^[^/\s]+\/[^/\s]+$/, 'must be "owner/name"')
        .optional()
        .describe('"owner/name" on GitHub (default: read from the remote\'s URL).'),
    })
    .default({ apiUrl: "https://api.github.com" })
    .describe("Where pull requests are opened; the token comes from config `tokens`."),
  target: z
    .string()
    .min(1)
    .optional()
    .describe("Branch pull requests and the merge queue target (default: the branch the task started from)."),
  gate: z
    .string()
    .min(1)
    .optional()
    .describe('`deliver: merge`: command run after each merge (e.g. "npm test"); red undoes the merge.'),
});
export type RepoSettings = z.infer<typeof RepoSettings>;
