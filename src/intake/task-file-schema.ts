import { z } from "zod";
import { BatchBudget } from "../config/spend-settings.ts";
import { durationSchema } from "../core/duration.ts";
import { ClaudeOptions, CodexOptions, EngineName, SandboxProfile } from "../core/task-spec.ts";

/** Task ids: letters, digits, `_` and `-`, with optional dotted children (`t12.3`). */
export const taskIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

const modelId = z.string().regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"');

const sharedFields = {
  dir: z.string().min(1).optional().describe("Directory the agent works in; relative to the task file."),
  model: modelId.optional().describe('Model, "provider/model".'),
  tier: z
    .string()
    .min(1)
    .optional()
    .describe("A tier of routing.tiers (instead of a model): its candidates in order, with fallbacks."),
  agent: z.string().min(1).optional().describe("OpenCode agent (build, plan, or a custom one)."),
  engine: EngineName.optional().describe('Which engine runs the task (default "opencode").'),
  claude: ClaudeOptions.optional().describe(
    "Claude Code options: permissionMode, allowedTools, disallowedTools, maxTurns.",
  ),
  codex: CodexOptions.optional().describe(
    "Codex options: sandbox (read-only, workspace-write, danger-full-access).",
  ),
  sandbox: SandboxProfile.optional().describe(
    "What the agent may reach: none (your HOME and environment, provider keys excepted), home (its own HOME and an environment allowlist) or strict (bubblewrap, egress proxy only). Default: the config's sandbox.",
  ),
  files: z
    .array(z.string().min(1))
    .optional()
    .describe("Files attached to the prompt; relative to the task's dir."),
  timeout: durationSchema.optional().describe('Time limit, e.g. 90, "30s", "10m".'),
  repo: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A git repository (relative to the task file): the task runs in its own worktree on branch drover/<batch>/<task>.",
    ),
  base: z
    .string()
    .min(1)
    .optional()
    .describe("With repo: branch, tag or commit the worktree starts from (default: the repository's HEAD)."),
  deliver: z
    .enum(["branch", "pr", "merge"])
    .optional()
    .describe(
      "With repo: leave the branch (default), open a pull request, or merge through the merge queue.",
    ),
  target: z
    .string()
    .min(1)
    .optional()
    .describe("With repo: the branch a pull request or merge targets (default: the base branch)."),
  gate: z
    .string()
    .min(1)
    .optional()
    .describe('With deliver: merge, a command run after the merge (e.g. "npm test"); red undoes it.'),
  touches: z
    .array(z.string().min(1))
    .optional()
    .describe("With repo: globs of the paths the task changes; overlapping tasks do not run at once."),
  allowSecrets: z
    .boolean()
    .optional()
    .describe(
      "Accept a prompt, title or file name that looks like it contains a secret (refused by default).",
    ),
};

export const TaskEntry = z.strictObject({
  id: z
    .string()
    .regex(taskIdPattern, "must be letters, digits, _ or -, optionally dotted (t12.3)")
    .max(120)
    .describe("Unique id within the file; dotted ids (t12.3) name a parent (t12)."),
  prompt: z.string().trim().min(1, "must not be empty").describe("What the agent should do."),
  title: z.string().min(1).optional().describe("Session title; defaults to the id."),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("Submitting a task with a key that already exists creates nothing new (daemon submissions)."),
  dependsOn: z.array(z.string()).optional().describe("Ids that must succeed before this task starts."),
  decompose: z
    .boolean()
    .optional()
    .describe(
      "Split the task with the decomposition model before it runs: its subtasks (ids dotted under this one) take its place.",
    ),
  ...sharedFields,
});
export type TaskEntry = z.infer<typeof TaskEntry>;

export const TaskFile = z.strictObject({
  strategy: z
    .enum(["depth-first", "breadth-first"])
    .optional()
    .describe("Batch strategy (default: config strategy)."),
  budget: BatchBudget.optional(),
  defaults: z
    .strictObject(sharedFields)
    .optional()
    .describe("Values every task gets unless it sets its own."),
  tasks: z.array(TaskEntry).min(1, "must list at least one task"),
});
export type TaskFile = z.infer<typeof TaskFile>;
