import { randomUUID } from "node:crypto";
import type { Clock } from "../../core/clock.ts";
import {
  type CancelResult,
  type ClaimedTask,
  type ClaimRequest,
  claimRequestSchema,
  type EnqueueResult,
  type Lease,
  type LeaseResult,
  type Queue,
  type QueuedTaskInput,
  queuedTaskSchema,
  type TaskKey,
  taskRoutingSchema,
} from "./queue-contract.ts";
import { QueueListeners } from "./queue-listeners.ts";
import { openQueueDatabase, type QueueDb, type QueueTaskRow } from "./sqlite-queue-tables.ts";

export interface SqliteQueueOptions {
  /** The queue's own SQLite file (several handles, even in several processes, may share it). */
  file: string;
  /** Governs leases and run-at times. */
  clock: Clock;
  /** Background problems (a throwing listener); the queue never throws from a timer. */
  onWarning?: (error: unknown) => void;
}

type WaitReason = "enqueued" | "retry" | "park";

/**
 * The embedded queue: one table in its own file, every change in a `BEGIN IMMEDIATE`
 * transaction. Time comes from the injected clock, so tests drive leases and run-at times.
 */
export class SqliteQueue implements Queue {
  private readonly db: QueueDb;
  private readonly clock: Clock;
  private readonly listeners: QueueListeners;
  private readonly onWarning: (error: unknown) => void;
  private runAtTimer: { cancel(): void; at: number } | undefined;
  private closed = false;

  constructor(options: SqliteQueueOptions) {
    this.db = openQueueDatabase(options.file);
    this.clock = options.clock;
    this.onWarning = options.onWarning ?? (() => {});
    this.listeners = new QueueListeners(this.onWarning);
    this.armRunAtTimer();
  }

  async enqueue(input: QueuedTaskInput, options: { runAt?: number } = {}): Promise<EnqueueResult> {
    const task = queuedTaskSchema.parse(input);
    const now = this.clock.now();
    const runAt = options.runAt ?? now;
    const readyNow = runAt <= now;
    const inserted = this.write(() =>
      this.db
        .prepare(
          `insert into queue_tasks (batch_id, task_id, priority, seq, routing, payload, run_at, wait_reason, announced)
           values (?, ?, ?, (select coalesce(max(seq), 0) + 1 from queue_tasks), ?, ?, ?, 'enqueued', ?)
           on conflict (batch_id, task_id) do nothing`,
        )
        .run(
          task.batchId,
          task.taskId,
          task.priority,
          JSON.stringify(task.routing),
          task.payload === undefined ? null : JSON.stringify(task.payload),
          runAt,
          readyNow ? 1 : 0,
        ),
    );
    if (inserted.changes === 0) return { enqueued: false, reason: "already_queued" };
    if (readyNow) this.listeners.emitReady(task);
    else this.armRunAtTimer();
    return { enqueued: true };
  }

  async claim(request: ClaimRequest): Promise<ClaimedTask | undefined> {
    const { owner, leaseMs } = claimRequestSchema.parse(request);
    const now = this.clock.now();
    const token = randomUUID();
    const row = this.write(
      () =>
        this.db
          .prepare(
            `update queue_tasks set lease_owner = ?, lease_token = ?, lease_until = ?, claim_count = claim_count + 1
             where rowid = (select rowid from queue_tasks
                            where lease_token is null and run_at <= ? and cancel_requested = 0
                            order by priority, seq limit 1)
             returning *`,
          )
          .get(owner, token, now + leaseMs, now) as QueueTaskRow | undefined,
    );
    if (!row) return undefined;
    return {
      task: {
        batchId: row.batch_id,
        taskId: row.task_id,
        priority: row.priority,
        routing: taskRoutingSchema.parse(JSON.parse(row.routing)),
        ...(row.payload === null ? {} : { payload: JSON.parse(row.payload) as Record<string, unknown> }),
      },
      lease: { batchId: row.batch_id, taskId: row.task_id, owner, token },
      claimCount: row.claim_count,
      leaseUntil: now + leaseMs,
    };
  }

  async renewLease(lease: Lease, leaseMs: number): Promise<LeaseResult> {
    const now = this.clock.now();
    return this.write(() => {
      const held = this.heldRow(lease, now);
      if (!held.ok) return held;
      if (held.row.cancel_requested) return { ok: false, reason: "cancelled" } as const;
      this.db
        .prepare("update queue_tasks set lease_until = ? where batch_id = ? and task_id = ?")
        .run(now + leaseMs, lease.batchId, lease.taskId);
      return { ok: true, leaseUntil: now + leaseMs } as const;
    });
  }

  async complete(lease: Lease): Promise<LeaseResult> {
    const result = this.write(() => {
      const held = this.heldRow(lease, this.clock.now());
      if (!held.ok) return held;
      this.deleteTask(lease);
      return { ok: true, cancelled: held.row.cancel_requested === 1 } as const;
    });
    if (!result.ok) return result;
    this.listeners.emitFinished(lease, result.cancelled ? "cancelled" : "completed");
    return { ok: true };
  }

  retryAt(lease: Lease, runAt: number): Promise<LeaseResult> {
    return this.putBack(lease, runAt, "retry");
  }

  parkUntil(lease: Lease, until: number): Promise<LeaseResult> {
    return this.putBack(lease, until, "park");
  }

  async cancel(key: TaskKey): Promise<CancelResult> {
    const result = this.write((): CancelResult => {
      const row = this.db
        .prepare("select * from queue_tasks where batch_id = ? and task_id = ?")
        .get(key.batchId, key.taskId) as QueueTaskRow | undefined;
      if (!row) return { cancelled: false, reason: "not_found" };
      if (row.lease_token === null) {
        this.deleteTask(key);
        return { cancelled: "removed" };
      }
      this.db
        .prepare("update queue_tasks set cancel_requested = 1 where batch_id = ? and task_id = ?")
        .run(key.batchId, key.taskId);
      return { cancelled: "marked" };
    });
    if (result.cancelled === "removed") this.listeners.emitFinished(key, "cancelled");
    return result;
  }

  async has(key: TaskKey): Promise<boolean> {
    const row = this.db
      .prepare("select 1 from queue_tasks where batch_id = ? and task_id = ?")
      .get(key.batchId, key.taskId);
    return row !== undefined;
  }

  async reclaimExpiredLeases(): Promise<{ reclaimed: number }> {
    const now = this.clock.now();
    const { requeued, dropped } = this.write(() => {
      // A cancelled task whose holder vanished has nobody left to tell: it leaves the queue.
      const dropped = this.db
        .prepare(
          `delete from queue_tasks where lease_token is not null and lease_until <= ? and cancel_requested = 1
           returning batch_id, task_id`,
        )
        .all(now) as Pick<QueueTaskRow, "batch_id" | "task_id">[];
      // Keeps its place (`seq`): it was next in line before its holder vanished.
      const requeued = this.db
        .prepare(
          `update queue_tasks set lease_owner = null, lease_token = null, lease_until = null, announced = 1
           where lease_token is not null and lease_until <= ? returning batch_id, task_id`,
        )
        .all(now) as Pick<QueueTaskRow, "batch_id" | "task_id">[];
      return { requeued, dropped };
    });
    for (const row of dropped) this.listeners.emitFinished(toKey(row), "cancelled");
    for (const row of requeued) this.listeners.emitReady(toKey(row));
    return { reclaimed: requeued.length };
  }

  onTaskReady(listener: (key: TaskKey) => void): () => void {
    return this.listeners.addReady(listener);
  }

  onTaskFinished(listener: (key: TaskKey, reason: "completed" | "cancelled") => void): () => void {
    return this.listeners.addFinished(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runAtTimer?.cancel();
    this.db.close();
  }

  private async putBack(lease: Lease, runAt: number, reason: WaitReason): Promise<LeaseResult> {
    const result = this.write(() => {
      const held = this.heldRow(lease, this.clock.now());
      if (!held.ok) return held;
      if (held.row.cancel_requested) {
        this.deleteTask(lease);
        return { ok: false, reason: "cancelled" } as const;
      }
      this.db
        .prepare(
          `update queue_tasks set lease_owner = null, lease_token = null, lease_until = null, run_at = ?,
             wait_reason = ?, announced = 0, seq = (select max(seq) + 1 from queue_tasks)
           where batch_id = ? and task_id = ?`,
        )
        .run(runAt, reason, lease.batchId, lease.taskId);
      return { ok: true } as const;
    });
    if (!result.ok && result.reason === "cancelled") this.listeners.emitFinished(lease, "cancelled");
    if (result.ok) this.announceDueTasks();
    return result;
  }

  /** The row if `lease` still holds it: same token and not expired (expired counts as lost). */
  private heldRow(
    lease: Lease,
    now: number,
  ): { ok: true; row: QueueTaskRow } | { ok: false; reason: "lease_lost" } {
    const row = this.db
      .prepare(
        "select * from queue_tasks where batch_id = ? and task_id = ? and lease_token = ? and lease_until > ?",
      )
      .get(lease.batchId, lease.taskId, lease.token, now) as QueueTaskRow | undefined;
    return row ? { ok: true, row } : { ok: false, reason: "lease_lost" };
  }

  private deleteTask(key: TaskKey): void {
    this.db
      .prepare("delete from queue_tasks where batch_id = ? and task_id = ?")
      .run(key.batchId, key.taskId);
  }

  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Sends "task ready" for waiting tasks whose run-at has come, then re-arms for the next one. */
  private announceDueTasks(): void {
    if (this.closed) return;
    try {
      const due = this.write(
        () =>
          this.db
            .prepare(
              `update queue_tasks set announced = 1
               where lease_token is null and announced = 0 and run_at <= ? returning batch_id, task_id`,
            )
            .all(this.clock.now()) as Pick<QueueTaskRow, "batch_id" | "task_id">[],
      );
      for (const row of due) this.listeners.emitReady(toKey(row));
      this.armRunAtTimer();
    } catch (error) {
      this.onWarning(error);
    }
  }

  private armRunAtTimer(): void {
    if (this.closed) return;
    const next = this.db
      .prepare("select min(run_at) as at from queue_tasks where lease_token is null and announced = 0")
      .get() as { at: number | null };
    if (next.at === null) return;
    if (this.runAtTimer && this.runAtTimer.at <= next.at) return;
    this.runAtTimer?.cancel();
    const timer = this.clock.setTimeout(
      () => {
        this.runAtTimer = undefined;
        this.announceDueTasks();
      },
      Math.max(0, next.at - this.clock.now()),
    );
    this.runAtTimer = { cancel: () => timer.cancel(), at: next.at };
  }
}

function toKey(row: Pick<QueueTaskRow, "batch_id" | "task_id">): TaskKey {
  return { batchId: row.batch_id, taskId: row.task_id };
}
