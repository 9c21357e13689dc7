import type { Clock } from "../core/clock.ts";
import type { DroverEvent, DroverEventBody, EventBus } from "../core/events.ts";
import type { TokenCounts } from "../core/liveness.ts";
import type { AttemptFailure, Outcome } from "../core/outcome.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { assertTransition, isFinal, type TaskState } from "../core/task-states.ts";
import {
  type AttemptRecord,
  finishAttempt,
  insertAttempt,
  listAttempts,
  setAttemptSession,
} from "./attempts.ts";
import { type BatchRecord, getBatch, insertBatch, markBatchFinished } from "./batches.ts";
import { type Db, openDatabase } from "./database.ts";
import { appendEvent, type ListEventsFilter, listEvents } from "./events.ts";
import {
  getTask,
  incrementAttemptCount,
  insertTask,
  listTasks,
  recordTaskOutcome,
  type TaskRecord,
  updateTaskState,
} from "./tasks.ts";

export type { AttemptRecord, BatchRecord, TaskRecord };

export interface TaskKey {
  batchId: string;
  taskId: string;
}

/**
 * drover's state: the only module that talks to SQLite. Every state change is written together
 * with its event row in one transaction, then published on the bus.
 */
export class Store {
  readonly #db: Db;
  readonly #bus: EventBus;
  readonly #clock: Clock;

  constructor(deps: { file: string; bus: EventBus; clock: Clock }) {
    this.#db = openDatabase(deps.file);
    this.#bus = deps.bus;
    this.#clock = deps.clock;
  }

  close(): void {
    this.#db.close();
  }

  /** Records an event that changes no other row (progress, warnings, engine servers). */
  recordEvent(body: DroverEventBody): DroverEvent {
    const event = appendEvent(this.#db, this.#clock.now(), body);
    this.#bus.publish(event);
    return event;
  }

  /** Creates a batch and its tasks (all `queued`) atomically. */
  createBatch(batchId: string, source: string, specs: readonly TaskSpec[]): void {
    const now = this.#clock.now();
    const events = this.#db.transaction(() => {
      insertBatch(this.#db, { id: batchId, source, createdAt: now });
      const recorded = [
        appendEvent(this.#db, now, { type: "batch.created", batchId, taskIds: specs.map((spec) => spec.id) }),
      ];
      for (const spec of specs) {
        insertTask(this.#db, batchId, spec, now);
        recorded.push(
          appendEvent(this.#db, now, {
            type: "task.state",
            batchId,
            taskId: spec.id,
            from: null,
            to: "queued",
          }),
        );
      }
      return recorded;
    })();
    for (const event of events) this.#bus.publish(event);
  }

  finishBatch(batchId: string, counts: Record<string, number>, durationMs: number): void {
    const now = this.#clock.now();
    const event = this.#db.transaction(() => {
      markBatchFinished(this.#db, batchId, now);
      return appendEvent(this.#db, now, { type: "batch.finished", batchId, counts, durationMs });
    })();
    this.#bus.publish(event);
  }

  /** Moves a task along the allowed-transition table; throws `conflict` on an illegal move. */
  transitionTask(key: TaskKey, to: TaskState, reason?: string): void {
    const now = this.#clock.now();
    const event = this.#db.transaction(() => {
      const task = getTask(this.#db, key.batchId, key.taskId);
      if (!task) throw new Error(`no task ${key.batchId}/${key.taskId}`);
      assertTransition(key.taskId, task.state, to);
      updateTaskState(this.#db, key, to, reason, now, isFinal(to));
      return appendEvent(this.#db, now, {
        type: "task.state",
        batchId: key.batchId,
        taskId: key.taskId,
        from: task.state,
        to,
        ...(reason ? { reason } : {}),
      });
    })();
    this.#bus.publish(event);
  }

  /** Opens a new attempt for a running task and returns its number. */
  startAttempt(key: TaskKey, attemptId: string, engine: string): number {
    const now = this.#clock.now();
    const { number, event } = this.#db.transaction(() => {
      const number = incrementAttemptCount(this.#db, key);
      insertAttempt(this.#db, { id: attemptId, ...key, number, engine, startedAt: now });
      const event = appendEvent(this.#db, now, {
        type: "attempt.started",
        ...key,
        attemptId,
        number,
        engine,
      });
      return { number, event };
    })();
    this.#bus.publish(event);
    return number;
  }

  recordSession(key: TaskKey, attemptId: string, sessionId: string, server: string): void {
    const now = this.#clock.now();
    const event = this.#db.transaction(() => {
      setAttemptSession(this.#db, attemptId, sessionId, server);
      recordTaskOutcome(this.#db, key, { sessionId });
      return appendEvent(this.#db, now, { type: "attempt.session", ...key, attemptId, sessionId, server });
    })();
    this.#bus.publish(event);
  }

  /**
   * Closes an attempt with its result and moves the task to `taskState` in one transaction.
   * Returns false (and changes nothing) if the attempt was already closed.
   */
  finishAttempt(
    key: TaskKey,
    attemptId: string,
    result: {
      status: TaskState & ("succeeded" | "failed" | "blocked" | "timed_out" | "cancelled");
      failure?: AttemptFailure;
      tokens: TokenCounts;
      cost: number;
      finalText?: string;
      filesChanged: string[];
      outcome?: Outcome;
      durationMs: number;
      reason?: string;
    },
  ): boolean {
    const now = this.#clock.now();
    const events = this.#db.transaction(() => {
      const closed = finishAttempt(this.#db, attemptId, { ...result, finishedAt: now });
      if (!closed) return undefined;
      const task = getTask(this.#db, key.batchId, key.taskId);
      if (!task) throw new Error(`no task ${key.batchId}/${key.taskId}`);
      assertTransition(key.taskId, task.state, result.status);
      updateTaskState(this.#db, key, result.status, result.reason, now, true);
      if (result.outcome) recordTaskOutcome(this.#db, key, { outcome: result.outcome });
      return [
        appendEvent(this.#db, now, {
          type: "attempt.finished",
          ...key,
          attemptId,
          status: result.status,
          ...(result.failure ? { failure: result.failure } : {}),
          tokens: result.tokens,
          cost: result.cost,
          durationMs: result.durationMs,
        }),
        appendEvent(this.#db, now, {
          type: "task.state",
          ...key,
          from: task.state,
          to: result.status,
          ...(result.reason ? { reason: result.reason } : {}),
        }),
      ];
    })();
    if (!events) return false;
    for (const event of events) this.#bus.publish(event);
    return true;
  }

  getBatch(batchId: string): BatchRecord | undefined {
    return getBatch(this.#db, batchId);
  }

  getTask(key: TaskKey): TaskRecord | undefined {
    return getTask(this.#db, key.batchId, key.taskId);
  }

  listTasks(batchId: string): TaskRecord[] {
    return listTasks(this.#db, batchId);
  }

  listAttempts(batchId: string, taskId?: string): AttemptRecord[] {
    return listAttempts(this.#db, batchId, taskId);
  }

  listEvents(filter: ListEventsFilter = {}): DroverEvent[] {
    return listEvents(this.#db, filter);
  }
}
