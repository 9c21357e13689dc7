import { z } from "zod";

/** Why an attempt ended, as data (execa's `terminationReason`, Temporal's failure `type`). */
export const AttemptFailure = z.object({
  type: z.enum([
    "model_error",
    "auth_error",
    "rate_limited",
    "engine_crashed",
    "engine_unavailable",
    "timeout",
    "cancelled",
    "no_output",
    /** The watchdog aborted a silent stream: continued in the same session. */
    "stalled",
    /** The watchdog stopped an attempt that never got going (no model request, no first byte). */
    "watchdog",
    "agent_failed",
    "permission_denied",
    /** The task's worktree could not be made ready (git, setup command); a merge conflict blocks instead. */
    "workspace",
    /** A dependency's branch did not merge into the task's worktree: the task is blocked. */
    "workspace_conflict",
    /** The branch could not be delivered (push, pull request, merge, gate); its commits are kept. */
    "delivery",
    /** Stopped at a budget cap (spend governor); its session and work are kept. */
    "budget",
    "internal",
  ]),
  message: z.string(),
  retryable: z.boolean(),
  statusCode: z.number().int().optional(),
});
export type AttemptFailure = z.infer<typeof AttemptFailure>;

/** What the agent reported when it stopped. */
export const Outcome = z.object({
  outcome: z.enum(["complete", "blocked", "handoff", "failed"]),
  summary: z.string(),
  reason: z.string().optional(),
  evidence: z.string().optional(),
  learnings: z.array(z.string()).optional(),
});
export type Outcome = z.infer<typeof Outcome>;
