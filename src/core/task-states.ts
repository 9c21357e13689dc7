import { z } from "zod";
import { DroverError } from "./errors.ts";

/** Every state a task can be in (ARCHITECTURE.md, "Task states"). */
export const taskStates = [
  "queued",
  "waiting",
  "ready",
  "running",
  "retry_wait",
  "parked",
  "succeeded",
  "failed",
  "blocked",
  "timed_out",
  "cancelled",
] as const;
export const TaskState = z.enum(taskStates);
export type TaskState = z.infer<typeof TaskState>;

/** The states a task ends in; `results.json` reports one of these per task. */
export const finalStates = ["succeeded", "failed", "blocked", "timed_out", "cancelled"] as const;
export const FinalState = z.enum(finalStates);
export type FinalState = z.infer<typeof FinalState>;

export function isFinal(state: TaskState): state is FinalState {
  return (finalStates as readonly string[]).includes(state);
}

/**
 * The one allowed-transition table. A final state may go back to `queued` only by an explicit
 * retry; nothing else leaves a final state.
 */
const allowedTransitions: Record<TaskState, readonly TaskState[]> = {
  queued: ["waiting", "ready", "blocked", "cancelled"],
  waiting: ["ready", "blocked", "cancelled"],
  ready: ["running", "parked", "blocked", "cancelled"],
  running: ["succeeded", "failed", "blocked", "timed_out", "cancelled", "retry_wait", "parked", "ready"],
  retry_wait: ["ready", "cancelled"],
  parked: ["ready", "cancelled"],
  succeeded: [],
  failed: ["queued"],
  blocked: ["queued"],
  timed_out: ["queued"],
  cancelled: ["queued"],
};

export function canTransition(from: TaskState, to: TaskState): boolean {
  return allowedTransitions[from].includes(to);
}

export function assertTransition(taskId: string, from: TaskState, to: TaskState): void {
  if (!canTransition(from, to)) {
    throw new DroverError("conflict", `task ${taskId}: transition ${from} → ${to} is not allowed`);
  }
}
