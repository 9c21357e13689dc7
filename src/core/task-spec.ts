import { z } from "zod";

/**
 * The engines a task may name (`engine:`); the default is `opencode` (the warm pool).
 * `opencode-cli`, `claude` and `codex` run OpenCode, Claude Code and Codex headless, one process
 * per attempt; `shell` runs the prompt as a command (a deterministic step: tests, lint, a build).
 */
export const EngineName = z.enum(["opencode", "opencode-cli", "claude", "codex", "shell"]);
export type EngineName = z.infer<typeof EngineName>;

/**
 * What a task's agent may reach: `none` (your HOME and environment, provider keys excepted), `home`
 * (its server's own HOME/XDG and an environment allowlist; the default) or `strict` (bubblewrap:
 * read-only system, only the project and worktrees writable, the egress proxy its only way out).
 */
export const SandboxProfile = z.enum(["none", "home", "strict"]);
export type SandboxProfile = z.infer<typeof SandboxProfile>;

/**
 * A task that works on a git repository: it runs in its own worktree on branch
 * `drover/<batch>/<task>`, its result is that branch, delivered as asked.
 */
export const TaskWorkspace = z.object({
  /** The repository's top folder (absolute). */
  repo: z.string(),
  /** Where the agent works inside the repository ("" for its top). */
  subdir: z.string(),
  /** Branch, tag or commit the worktree starts from (default: the repository's HEAD). */
  base: z.string().optional(),
  /** branch: leave the branch; pr: push it and open a pull request; merge: the local merge queue. */
  deliver: z.enum(["branch", "pr", "merge"]),
  /** Globs (relative to the repository) of what the task will change, with paths found in its prompt and files. */
  touches: z.array(z.string()),
  /** Branch a pull request or merge targets (default: the branch the worktree started from). */
  target: z.string().optional(),
  /** `deliver: merge`: command run after the merge; red undoes it. */
  gate: z.string().optional(),
});
export type TaskWorkspace = z.infer<typeof TaskWorkspace>;

/** Claude Code options of a task (`claude:`): what its agent may do without asking, and how long. */
export const ClaudeOptions = z.strictObject({
  permissionMode: z
    .enum(["acceptEdits", "auto", "bypassPermissions", "manual", "dontAsk", "plan"])
    .optional()
    .describe(
      "Claude Code's permission mode (default bypassPermissions: headless, drover's sandbox is the boundary).",
    ),
  allowedTools: z
    .array(z.string().min(1))
    .optional()
    .describe('Tools allowed without asking, e.g. ["Edit", "Bash(npm test)"].'),
  disallowedTools: z.array(z.string().min(1)).optional().describe("Tools the agent may not use."),
  maxTurns: z.number().int().positive().optional().describe("Most agent turns per attempt."),
});
export type ClaudeOptions = z.infer<typeof ClaudeOptions>;

/** Codex options of a task (`codex:`). */
export const CodexOptions = z.strictObject({
  sandbox: z
    .enum(["read-only", "workspace-write", "danger-full-access"])
    .optional()
    .describe(
      "Codex's own sandbox for the commands it runs (default: none, drover's sandbox is the boundary).",
    ),
});
export type CodexOptions = z.infer<typeof CodexOptions>;

/** A validated task, as stored and dispatched: paths absolute, defaults applied. */
export const TaskSpec = z.object({
  id: z.string(),
  prompt: z.string(),
  title: z.string(),
  dir: z.string(),
  model: z.string(),
  agent: z.string().optional(),
  /** The routing tier it runs in (its model is then the tier's current candidate). */
  tier: z.string().optional(),
  /** Which engine runs it (default `opencode`). */
  engine: EngineName.optional(),
  /** Its sandbox profile (default: the config's `sandbox`). */
  sandbox: SandboxProfile.optional(),
  /** Options for the claude engine. */
  claude: ClaudeOptions.optional(),
  /** Options for the codex engine. */
  codex: CodexOptions.optional(),
  files: z.array(z.string()),
  timeoutMs: z.number().int().positive(),
  dependsOn: z.array(z.string()),
  /** Extra system text for every prompt of the task (a runner's instructions, memories, mail). */
  system: z.string().optional(),
  /** Start by continuing this session instead of a new one (a runner's `--continue`). */
  continueSession: z.object({ sessionId: z.string(), server: z.string().optional() }).optional(),
  /** Runs in its own git worktree of this repository (`repo:` on the task). */
  workspace: TaskWorkspace.optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;
