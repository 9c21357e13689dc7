import { z } from "zod";
import { edgeEvents } from "./edge-events.ts";
import { Liveness, TokenCounts, WatchdogEvidence, WatchdogRemedy, WatchdogState } from "./liveness.ts";
import { AttemptFailure } from "./outcome.ts";
import { FinalState, TaskState } from "./task-states.ts";

/**
 * The event catalogue: everything drover reports, persisted as rows and streamed to the CLI
 * (JSON lines), and later over SSE. Each entry is a zod schema so every consumer sees one shape.
 */
export const DroverEventBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("batch.created"), batchId: z.string(), taskIds: z.array(z.string()) }),
  z.object({
    type: z.literal("batch.finished"),
    batchId: z.string(),
    counts: z.record(z.string(), z.number()),
    durationMs: z.number(),
  }),
  z.object({
    type: z.literal("task.state"),
    batchId: z.string(),
    taskId: z.string(),
    from: TaskState.nullable(),
    to: TaskState,
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal("attempt.started"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    number: z.number().int(),
    kind: z.enum(["fresh", "continue", "recovery", "escalation", "delivery"]).default("fresh"),
    engine: z.string(),
    model: z.string().optional(),
  }),
  z.object({
    type: z.literal("attempt.session"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    sessionId: z.string(),
    server: z.string(),
  }),
  z.object({
    type: z.literal("attempt.progress"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    liveness: Liveness,
    tool: z.string().optional(),
    until: z.number().optional(),
    detail: z.string().optional(),
    tokens: TokenCounts,
    /** When this liveness began (ms since the epoch). */
    since: z.number().optional(),
    /** Why the attempt is in this state: last token at, the tool's output bytes and CPU ms, … */
    evidence: WatchdogEvidence.optional(),
  }),
  z.object({
    // The watchdog saw an attempt not progressing (a liveness state past its budget) and acted.
    type: z.literal("watchdog.action"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    state: WatchdogState,
    remedy: WatchdogRemedy,
    message: z.string(),
    evidence: WatchdogEvidence,
  }),
  z.object({
    // Something needs a person: a permission request, a blocked task, a task failed after its
    // retries, a handoff to review, a watchdog kill past its limit, thrashing.
    type: z.literal("inbox.added"),
    itemId: z.string(),
    kind: z.string(),
    batchId: z.string().optional(),
    taskId: z.string().optional(),
    title: z.string(),
  }),
  z.object({
    type: z.literal("inbox.answered"),
    itemId: z.string(),
    kind: z.string(),
    state: z.string(),
    batchId: z.string().optional(),
    taskId: z.string().optional(),
    by: z.string().optional(),
  }),
  z.object({
    type: z.literal("attempt.finished"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    status: FinalState,
    failure: AttemptFailure.optional(),
    tokens: TokenCounts,
    cost: z.number(),
    durationMs: z.number(),
  }),
  z.object({
    type: z.literal("engine.server"),
    server: z.string(),
    state: z.enum(["starting", "ready", "unhealthy", "exited", "stopped"]),
    pid: z.number().optional(),
    url: z.string().optional(),
    detail: z.string().optional(),
  }),
  z.object({
    // Which engine and model an attempt runs on and why (routing tiers, fallbacks, OAuth).
    type: z.literal("route.chosen"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    tier: z.string().optional(),
    candidate: z.number().int().optional(),
    engine: z.string(),
    model: z.string(),
    reason: z.string(),
  }),
  z.object({
    type: z.literal("supervisor.launch"),
    batchId: z.string(),
    taskId: z.string(),
    gapMs: z.number(),
    reason: z.string(),
    slots: z.number(),
    running: z.number(),
  }),
  z.object({
    type: z.literal("supervisor.limit"),
    key: z.string(),
    limit: z.number().nullable(),
    until: z.number().optional(),
    reason: z.string(),
  }),
  z.object({
    type: z.literal("supervisor.recovered"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    action: z.enum(["readopted", "closed"]),
    detail: z.string(),
  }),
  z.object({
    // A worker host of the fleet (`drover worker`) joined, stopped (left), went silent (lost), or
    // was refused for running other versions than the daemon.
    type: z.literal("fleet.host"),
    workerId: z.string(),
    host: z.string(),
    state: z.enum(["joined", "left", "lost", "refused"]),
    slots: z.number().optional(),
    detail: z.string().optional(),
  }),
  z.object({
    // What a worker did with an attempt: claimed it, followed its session after a reclaim,
    // restarted it fresh (its first holder vanished), or released it (the worker stopped).
    type: z.literal("fleet.attempt"),
    batchId: z.string(),
    taskId: z.string(),
    attemptId: z.string(),
    workerId: z.string(),
    host: z.string(),
    action: z.enum(["claimed", "followed", "restarted", "released"]),
    claimCount: z.number(),
    detail: z.string().optional(),
  }),
  z.object({
    // A task's git worktree: created (or reused), a line of its setup's output, the agent's work
    // committed on its branch after an attempt, its delivery (pull request, merge), or its launch
    // held back by an overlapping task on the same repository.
    type: z.literal("workspace"),
    batchId: z.string(),
    taskId: z.string(),
    action: z.enum([
      "opened",
      "reused",
      "setup",
      "conflict",
      "committed",
      "delivered",
      "delivery_failed",
      "waiting",
    ]),
    branch: z.string().optional(),
    path: z.string().optional(),
    commit: z.string().optional(),
    detail: z.string().optional(),
  }),
  ...edgeEvents,
  z.object({
    type: z.literal("warning"),
    code: z.string(),
    message: z.string(),
    taskId: z.string().optional(),
  }),
]);
export type DroverEventBody = z.infer<typeof DroverEventBody>;
export type DroverEventType = DroverEventBody["type"];

/** A recorded event: the body plus its sequence number and time. */
export type DroverEvent = DroverEventBody & { seq: number; ts: number };

export type EventListener = (event: DroverEvent) => void;

/**
 * In-process fan-out of recorded events; listeners must not throw (errors are swallowed). An event
 * published by a listener waits until the one being delivered has reached every listener, so all
 * listeners see events in sequence order (a cause before what it caused).
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #waiting: DroverEvent[] = [];
  #delivering = false;

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: DroverEvent): void {
    this.#waiting.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) this.#deliver(next);
    } finally {
      this.#delivering = false;
    }
  }

  #deliver(event: DroverEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed terminal, say) must not stop the supervisor.
      }
    }
  }
}
