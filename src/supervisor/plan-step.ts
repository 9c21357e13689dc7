import type { Outcome } from "../core/outcome.ts";
import type { TaskState } from "../core/task-states.ts";
import type { AttemptResult } from "../engines/contract.ts";
import type { AttemptKind, TaskPatch } from "../store/store.ts";
import type { NextStep } from "./decide-next.ts";

// Pure translation of a decision into stored fields, apart from `decideNext` (which decides) and
// from settling (which writes), so the wording of reasons and patches can be read in one place.

export interface PlannedStep {
  state: TaskState;
  reason?: string;
  patch: TaskPatch;
  outcome?: Outcome;
  /** For a task going back to ready/parked with a prompt: what kind its next attempt is. */
  pendingKind?: AttemptKind;
}

/** Turns a decision into the task's next state and stored fields. */
export function planStep(task: { continuations: number }, next: NextStep, now: number): PlannedStep {
  switch (next.kind) {
    case "final":
      return {
        state: next.state,
        ...(next.reason ? { reason: next.reason } : {}),
        patch: { pendingPrompt: null, runAt: null },
        outcome: next.outcome,
      };
    case "continue":
      return {
        state: "ready",
        pendingKind: next.attemptKind,
        reason: `${next.attemptKind === "recovery" ? "recovery" : "continuing"}: ${next.reason}`,
        patch: {
          pendingPrompt: next.prompt,
          runAt: null,
          ...(next.attemptKind === "recovery"
            ? { recoveryUsed: true }
            : { continuations: task.continuations + 1 }),
        },
      };
    case "handback":
      return {
        state: "ready",
        pendingKind: "continue",
        reason: next.reason,
        patch: { pendingPrompt: next.prompt, runAt: null },
      };
    case "retry":
      return {
        state: "retry_wait",
        reason: `retry in ${Math.round(next.delayMs / 100) / 10}s: ${next.reason}`,
        patch: { pendingPrompt: null, runAt: now + next.delayMs },
      };
    case "escalate":
      return {
        state: "ready",
        reason: `escalated to ${next.model}: ${next.reason}`,
        patch: { pendingPrompt: null, runAt: null, model: next.model },
      };
    case "hold":
      return {
        state: "parked",
        pendingKind: "continue",
        reason: next.reason,
        patch: { pendingPrompt: next.prompt, runAt: null },
      };
    case "park":
      return {
        state: "parked",
        pendingKind: "continue",
        reason: `${next.reason} (until ${new Date(next.until).toISOString()})`,
        patch: { pendingPrompt: next.prompt, runAt: next.until },
      };
  }
}

/** The status recorded on the attempt row: what happened to this attempt, whatever the task does next. */
export function attemptStatus(
  result: AttemptResult,
  next: NextStep,
): "succeeded" | "failed" | "blocked" | "timed_out" | "cancelled" {
  if (next.kind === "final" && next.state === "blocked") return "blocked";
  if (result.status !== "succeeded") return result.status;
  return next.kind === "final" && next.state === "succeeded" ? "succeeded" : "failed";
}
