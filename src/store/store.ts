import type { Clock } from "../core/clock.ts";
import { DroverError } from "../core/errors.ts";
import type { DroverEvent, DroverEventBody, EventBus } from "../core/events.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";
import { finishAttempt, insertAttempt, setAttemptSession } from "./attempts.ts";
import { markBatchFinished, setBatchOwner } from "./batches.ts";
import { type Db, openDatabase } from "./database.ts";
import { appendEvent, redactEvent } from "./events.ts";
import { InboxTable } from "./inbox.ts";
import { IssueFollowupTable } from "./issue-followups.ts";
import { MailTable } from "./mail.ts";
import { MemoryTable } from "./memories.ts";
import { RunnerTable } from "./runners.ts";
import { ScheduleTable } from "./schedules.ts";
import { SpendTable } from "./spend.ts";
import {
  defaultStorageGuardSettings,
  type StorageFailureListener,
  StorageGuard,
  type StorageGuardSettings,
} from "./storage-guard.ts";
import { StoreReads } from "./store-reads.ts";
import type { AttemptClose, AttemptKind, TaskKey, TaskNext } from "./store-types.ts";
import { incrementAttemptCount, patchTask, recordTaskOutcome, renewLeases, type TaskPatch } from "./tasks.ts";
import { WorkspaceTable } from "./workspaces.ts";
import { transitionTaskRow, writeNewBatch } from "./write-rows.ts";

export type { AttemptRecord, StoredTranscript } from "./attempts.ts";
export type { BatchRecord } from "./batches.ts";
export type { MailRecord } from "./mail.ts";
export type { MemoryRecord } from "./memories.ts";
export type { RunnerRecord, RunnerRunRecord } from "./runners.ts";
export type { FiringRecord, ScheduleRecord, ScheduleTable } from "./schedules.ts";
export type { AttemptClose, AttemptKind, TaskKey, TaskNext } from "./store-types.ts";
export type { TaskRecord } from "./tasks.ts";
export type { Delivery, DiffStat, WorkspaceRecord } from "./workspaces.ts";
export type { MailTable, MemoryTable, RunnerTable, TaskPatch };

/**
 * drover's state: the only module that talks to SQLite. Every state change is written together
 * with its event row in one transaction, then published on the bus.
 */
export class Store extends StoreReads {
  readonly #db: Db;
  readonly #bus: EventBus;
  readonly #clock: Clock;
  /** Runners, their runs and locks. */
  readonly runners: RunnerTable;
  /** Namespaced memory (FTS5). */
  readonly memories: MemoryTable;
  /** The mailbox. */
  readonly mail: MailTable;
  readonly inbox: InboxTable;
  /** Tasks' git worktrees, branches and deliveries. */
  readonly workspaces: WorkspaceTable;
  readonly issueFollowups: IssueFollowupTable;
  /** Schedules and their firings (one row per slot). */
  readonly schedules: ScheduleTable;
  /** Reservations and actual cost per attempt, checked against budgets. */
  readonly spend: SpendTable;
  readonly #guard: StorageGuard;
  #watch: { cancel(): void } | undefined;
  #closed = false;

  constructor(deps: {
    file: string;
    bus: EventBus;
    clock: Clock;
    /** Lock waits and retries (defaults: 5 s per try, 4 tries). */
    storage?: Partial<StorageGuardSettings>;
  }) {
    const storage = { ...defaultStorageGuardSettings, ...deps.storage };
    const guard = new StorageGuard(deps.file, storage);
    const db = guard.write(() => openDatabase(deps.file));
    super(db);
    this.#guard = guard;
    this.#db = db;
    this.#db.pragma(`busy_timeout = ${storage.busyTimeoutMs}`);
    this.#guard.rememberFile();
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.runners = new RunnerTable(this.#db);
    this.memories = new MemoryTable(this.#db);
    this.mail = new MailTable(this.#db);
    this.inbox = new InboxTable(this.#db);
    this.workspaces = new WorkspaceTable(this.#db);
    this.issueFollowups = new IssueFollowupTable(this.#db, () => this.#clock.now());
    this.schedules = new ScheduleTable(this.#db, (write) => this.#commit(() => write(this.#clock.now())));
    this.spend = new SpendTable(this.#db, (write) => this.#commit(() => write(this.#clock.now())));
    this.#guard.onFailure((error) =>
      this.#bus.publish({ type: "storage.failed", message: error.message, seq: 0, ts: this.#clock.now() }),
    );
  }

  close(): void {
    this.#watch?.cancel();
    this.#watch = undefined;
    this.#closed = true;
    this.#db.close();
  }

  /** Why storage cannot be written any more, if it cannot (then every write throws this error). */
  get failure(): DroverError | undefined {
    return this.#guard.failure;
  }

  /** Called once when storage fails: a write that cannot succeed, or the database file deleted or replaced. */
  onFailure(listener: StorageFailureListener): () => void {
    return this.#guard.onFailure(listener);
  }

  /** Throws the storage failure if the database cannot be written, checking first that its file is still there. */
  assertWritable(): void {
    this.#guard.checkFile();
    if (this.#guard.failure) throw this.#guard.failure;
  }

  /** Checks every `intervalMs` that the database file is still the one opened (deleted or replaced → failure). */
  watchFile(intervalMs: number): void {
    this.#watch?.cancel();
    const check = () => {
      if (this.#guard.checkFile()) this.#watch = this.#clock.setTimeout(check, intervalMs);
    };
    this.#watch = this.#clock.setTimeout(check, intervalMs);
  }

  /** Records an event that changes no other row (progress, launches, warnings, servers). */
  recordEvent(body: DroverEventBody): DroverEvent {
    const event = this.#guard.write(() => appendEvent(this.#db, this.#clock.now(), body));
    this.#bus.publish(event);
    return event;
  }

  /**
   * For background loops, which must never throw: records the event, or, once storage has failed
   * or the store is closed (a server's last word at shutdown), shows it live (seq 0) unrecorded.
   */
  reportEvent(body: DroverEventBody): void {
    try {
      if (!this.#closed) return void this.recordEvent(body);
    } catch (error) {
      if (!(error instanceof DroverError && error.code === "storage_failed")) throw error;
    }
    this.#bus.publish({ ...redactEvent(body), seq: 0, ts: this.#clock.now() } as DroverEvent);
  }

  /** Creates a batch and its tasks (all `queued`) atomically. */
  createBatch(
    batchId: string,
    source: string,
    specs: readonly TaskSpec[],
    options: {
      strategy?: string;
      owner?: string;
      idempotencyKeys?: ReadonlyMap<string, string>;
      /** Where each task goes right after `queued` (ready or waiting), recorded in the same transaction. */
      initialStates?: ReadonlyMap<string, "ready" | "waiting">;
    } = {},
  ): void {
    const now = this.#clock.now();
    this.#commit(() => writeNewBatch(this.#db, now, { batchId, source, specs, ...options }));
  }

  finishBatch(batchId: string, counts: Record<string, number>, durationMs: number): void {
    const now = this.#clock.now();
    this.#commit(() => {
      markBatchFinished(this.#db, batchId, now);
      return [appendEvent(this.#db, now, { type: "batch.finished", batchId, counts, durationMs })];
    });
  }

  /** Moves a task along the allowed-transition table (throws `conflict` on an illegal move), with scheduling fields. */
  transitionTask(key: TaskKey, to: TaskState, reason?: string, patch?: TaskPatch): void {
    const now = this.#clock.now();
    this.#commit(() => [
      transitionTaskRow(this.#db, key, {
        to,
        now,
        ...(reason ? { reason } : {}),
        ...(patch ? { patch } : {}),
      }),
    ]);
  }

  /** Opens a new attempt for a running task and returns its number. */
  startAttempt(
    key: TaskKey,
    attemptId: string,
    engine: string,
    kind: AttemptKind = "fresh",
    model?: string,
    prompt?: string,
  ): number {
    const now = this.#clock.now();
    let number = 0;
    this.#commit(() => {
      number = incrementAttemptCount(this.#db, key);
      insertAttempt(this.#db, {
        id: attemptId,
        ...key,
        number,
        kind,
        engine,
        startedAt: now,
        ...(prompt !== undefined ? { prompt } : {}),
      });
      return [
        appendEvent(this.#db, now, {
          type: "attempt.started",
          ...key,
          attemptId,
          number,
          kind,
          engine,
          ...(model ? { model } : {}),
        }),
      ];
    });
    return number;
  }

  recordSession(key: TaskKey, attemptId: string, sessionId: string, server: string): void {
    const now = this.#clock.now();
    this.#commit(() => {
      setAttemptSession(this.#db, attemptId, sessionId, server);
      patchTask(this.#db, key, { sessionId, sessionServer: server });
      return [appendEvent(this.#db, now, { type: "attempt.session", ...key, attemptId, sessionId, server })];
    });
  }

  /**
   * Closes an attempt and moves its task on, in one transaction. Returns false (and changes
   * nothing) if the attempt was already closed: an outcome is recorded once.
   */
  finishAttempt(
    key: TaskKey,
    attemptId: string,
    result: AttemptClose,
    next: TaskNext = { state: result.status },
  ): boolean {
    const now = this.#clock.now();
    let closed = false;
    this.#commit(() => {
      closed = finishAttempt(this.#db, attemptId, { ...result, finishedAt: now });
      if (!closed) return [];
      if (next.outcome) recordTaskOutcome(this.#db, key, { outcome: next.outcome });
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
        transitionTaskRow(this.#db, key, {
          to: next.state,
          now,
          ...(next.reason ? { reason: next.reason } : {}),
          ...(next.patch ? { patch: next.patch } : {}),
        }),
      ];
    });
    return closed;
  }

  /** Takes over the lease of a running task (re-adoption after a crash). */
  takeLease(key: TaskKey, owner: string, until: number): void {
    this.#guard.write(() => patchTask(this.#db, key, { leaseOwner: owner, leaseUntil: until }));
  }

  renewLeases(owner: string, until: number): number {
    return this.#guard.write(() => renewLeases(this.#db, owner, until));
  }

  /** Makes `owner` the supervisor of a batch (taking over from one that is gone). */
  setBatchOwner(batchId: string, owner: string): void {
    this.#guard.write(() => setBatchOwner(this.#db, batchId, owner));
  }

  /**
   * Runs `write` in one transaction, then publishes the events it recorded. `BEGIN IMMEDIATE`
   * takes the write lock up front, so a second drover on the same state dir waits for it (busy
   * timeout) instead of failing at once with "database is locked" when its read turns into a write.
   */
  #commit(write: () => DroverEvent[]): void {
    const events = this.#guard.write(() => this.#db.transaction(write).immediate());
    for (const event of events) this.#bus.publish(event);
  }
}
