import type { TokenCounts } from "../core/liveness.ts";
import type { AttemptFailure, Outcome } from "../core/outcome.ts";
import type { TaskState } from "../core/task-states.ts";
import type { StoredTranscript } from "./attempts.ts";
import type { TaskPatch } from "./tasks.ts";

// The shapes the store's callers pass in: which task, how an attempt ended, where the task goes.

export interface TaskKey {
  batchId: string;
  taskId: string;
}

/** `delivery`: no agent, only the delivery of a branch whose delivery failed (`retry --deliver`). */
export type AttemptKind = "fresh" | "continue" | "recovery" | "escalation" | "delivery";

/** How an attempt ended, as recorded. */
export interface AttemptClose {
  status: "succeeded" | "failed" | "blocked" | "timed_out" | "cancelled";
  failure?: AttemptFailure;
  tokens: TokenCounts;
  cost: number;
  finalText?: string;
  filesChanged: string[];
  durationMs: number;
  /** The attempt's conversation, kept for `drover show` and `drover transcript`. */
  transcript?: StoredTranscript;
}

/** Where the task goes after an attempt: a final state, or back to ready / retry_wait / parked. */
export interface TaskNext {
  state: TaskState;
  reason?: string;
  outcome?: Outcome;
  patch?: TaskPatch;
}
