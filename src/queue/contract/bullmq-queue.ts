import { randomUUID } from "node:crypto";
import type { RedisOptions } from "bullmq";
import { Queue as BullQueue, type ConnectionOptions, type Job, QueueEvents, Worker } from "bullmq";
import {
  type BullmqJobData,
  bullmqJobDataSchema,
  bullmqPriorityOf,
  isLostLockError,
  jobIdOf,
  taskKeyOfJobId,
} from "./bullmq-job-data.ts";
import {
  type CancelResult,
  type ClaimedTask,
  type ClaimRequest,
  claimRequestSchema,
  type EnqueueResult,
  type FinishReason,
  type Lease,
  type LeaseResult,
  type Queue,
  type QueuedTaskInput,
  queuedTaskSchema,
  type TaskKey,
} from "./queue-contract.ts";
import { QueueListeners } from "./queue-listeners.ts";

export interface BullmqQueueOptions {
  /** Redis (or Valkey) to connect to; each BullMQ piece opens its own connection from these. */
  connection: RedisOptions;
  /** BullMQ queue name; one per drover installation. */
  name?: string;
  /**
   * How often expired locks may be reclaimed. BullMQ reclaims in two passes (mark, then move),
   * so a lapsed lease becomes claimable within 1–2 intervals of `reclaimExpiredLeases` calls.
   */
  stalledIntervalMs?: number;
  /** Background problems (lost connection, a throwing listener); never thrown. */
  onWarning?: (error: unknown) => void;
}

type JobOf = Job<BullmqJobData, FinishReason>;

/**
 * The distributed queue on BullMQ, processed manually (a `Worker` with no processor and
 * `getNextJob(token)`): the lease is the job lock, its token is the lock token, and renew is
 * `extendLock`. Lock expiry runs on Redis's clock (PX); run-at times use this host's clock
 * (BullMQ stamps delays with the client's `Date.now()`). No injected Clock applies here.
 */
export class BullmqQueue implements Queue {
  private readonly listeners: QueueListeners;
  private readonly runAtTimers = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  private constructor(
    private readonly queue: BullQueue<BullmqJobData, FinishReason>,
    private readonly worker: Worker<BullmqJobData, FinishReason>,
    private readonly events: QueueEvents,
    private readonly onWarning: (error: unknown) => void,
  ) {
    this.listeners = new QueueListeners(onWarning);
    this.forwardEvents();
  }

  /** Connects and waits until events flow, so no notification after `open` returns is missed. */
  static async open(options: BullmqQueueOptions): Promise<BullmqQueue> {
    const connection: ConnectionOptions = { ...options.connection, maxRetriesPerRequest: null };
    const name = options.name ?? "drover-tasks";
    const onWarning = options.onWarning ?? (() => {});
    const queue = new BullQueue<BullmqJobData, FinishReason>(name, { connection });
    const worker = new Worker<BullmqJobData, FinishReason>(name, null, {
      connection,
      autorun: false,
      stalledInterval: options.stalledIntervalMs ?? 5_000,
      // A reclaimed task always goes back to wait: only the supervisor's retry policy gives up.
      maxStalledCount: 1_000_000,
    });
    const events = new QueueEvents(name, { connection });
    queue.on("error", onWarning);
    worker.on("error", onWarning);
    events.on("error", onWarning);
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady(), events.waitUntilReady()]);
    return new BullmqQueue(queue, worker, events, onWarning);
  }

  async enqueue(input: QueuedTaskInput, options: { runAt?: number } = {}): Promise<EnqueueResult> {
    const task = queuedTaskSchema.parse(input);
    const jobId = jobIdOf(task);
    // A concurrent duplicate still yields one job: BullMQ ignores an add whose id exists.
    if (await this.queue.getJob(jobId)) return { enqueued: false, reason: "already_queued" };
    const delay = options.runAt === undefined ? 0 : Math.max(0, options.runAt - Date.now());
    const data: BullmqJobData = { task, waitReason: "enqueued", cancelRequested: false };
    await this.queue.add("task", data, {
      jobId,
      priority: bullmqPriorityOf(task.priority),
      delay,
      removeOnComplete: true,
      removeOnFail: true,
    });
    return { enqueued: true };
  }

  async claim(request: ClaimRequest): Promise<ClaimedTask | undefined> {
    const { owner, leaseMs } = claimRequestSchema.parse(request);
    for (;;) {
      const token = `${owner}:${randomUUID()}`;
      const job = (await this.worker.getNextJob(token, { block: false })) as JobOf | undefined;
      if (!job?.id) return undefined;
      const data = bullmqJobDataSchema.parse(job.data);
      if (data.cancelRequested) {
        // Cancelled while held, then its holder vanished: nobody else will finish it.
        await job.moveToCompleted("cancelled", token, false);
        continue;
      }
      await job.extendLock(token, leaseMs);
      return {
        task: data.task,
        lease: { batchId: data.task.batchId, taskId: data.task.taskId, owner, token },
        claimCount: job.attemptsStarted,
        leaseUntil: Date.now() + leaseMs,
      };
    }
  }

  async renewLease(lease: Lease, leaseMs: number): Promise<LeaseResult> {
    const failed = await this.worker.extendJobLocks([jobIdOf(lease)], [lease.token], leaseMs);
    if (failed.length > 0) return { ok: false, reason: "lease_lost" };
    const job = await this.queue.getJob(jobIdOf(lease));
    if (!job) return { ok: false, reason: "lease_lost" };
    if (bullmqJobDataSchema.parse(job.data).cancelRequested) return { ok: false, reason: "cancelled" };
    return { ok: true, leaseUntil: Date.now() + leaseMs };
  }

  async complete(lease: Lease): Promise<LeaseResult> {
    const job = await this.queue.getJob(jobIdOf(lease));
    if (!job) return { ok: false, reason: "lease_lost" };
    const reason: FinishReason = bullmqJobDataSchema.parse(job.data).cancelRequested
      ? "cancelled"
      : "completed";
    return this.fenced(() => job.moveToCompleted(reason, lease.token, false));
  }

  retryAt(lease: Lease, runAt: number): Promise<LeaseResult> {
    return this.putBack(lease, runAt, "retry");
  }

  parkUntil(lease: Lease, until: number): Promise<LeaseResult> {
    return this.putBack(lease, until, "park");
  }

  async cancel(key: TaskKey): Promise<CancelResult> {
    const job = await this.queue.getJob(jobIdOf(key));
    if (!job) return { cancelled: false, reason: "not_found" };
    if ((await job.getState()) !== "active") {
      try {
        await job.remove();
        return { cancelled: "removed" };
      } catch {
        // Claimed between the two calls (a held job cannot be removed): mark it instead.
      }
    }
    try {
      await job.updateData({ ...bullmqJobDataSchema.parse(job.data), cancelRequested: true });
      return { cancelled: "marked" };
    } catch {
      return { cancelled: false, reason: "not_found" };
    }
  }

  async has(key: TaskKey): Promise<boolean> {
    const job = await this.queue.getJob(jobIdOf(key));
    if (!job) return false;
    return (await job.getState()) !== "completed";
  }

  async reclaimExpiredLeases(): Promise<{ reclaimed: number }> {
    const moved = await this.worker.backend.moveStalledJobsToWait();
    return { reclaimed: moved.length };
  }

  onTaskReady(listener: (key: TaskKey) => void): () => void {
    return this.listeners.addReady(listener);
  }

  onTaskFinished(listener: (key: TaskKey, reason: FinishReason) => void): () => void {
    return this.listeners.addFinished(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.runAtTimers) clearTimeout(timer);
    await Promise.allSettled([this.worker.close(true), this.events.close(), this.queue.close()]);
  }

  private async putBack(lease: Lease, runAt: number, reason: "retry" | "park"): Promise<LeaseResult> {
    const job = await this.queue.getJob(jobIdOf(lease));
    if (!job) return { ok: false, reason: "lease_lost" };
    const data = bullmqJobDataSchema.parse(job.data);
    if (data.cancelRequested) {
      const finished = await this.fenced(() => job.moveToCompleted("cancelled", lease.token, false));
      return finished.ok ? { ok: false, reason: "cancelled" } : finished;
    }
    const moved = await this.fenced(() => job.moveToDelayed(runAt, lease.token));
    // After the fenced move, so a lost lease never rewrites the new holder's data.
    if (moved.ok) await job.updateData({ ...data, waitReason: reason }).catch(this.onWarning);
    return moved;
  }

  /** Runs a token-checked BullMQ move; a missing or foreign lock is `lease_lost`, not an exception. */
  private async fenced(move: () => Promise<unknown>): Promise<LeaseResult> {
    try {
      await move();
      return { ok: true };
    } catch (error) {
      if (isLostLockError(error)) return { ok: false, reason: "lease_lost" };
      throw error;
    }
  }

  private forwardEvents(): void {
    const ready = (jobId: string) => {
      const key = taskKeyOfJobId(jobId);
      if (key) this.listeners.emitReady(key);
    };
    const finished = (jobId: string, reason: FinishReason) => {
      const key = taskKeyOfJobId(jobId);
      if (key) this.listeners.emitFinished(key, reason);
    };
    this.events.on("waiting", ({ jobId }) => ready(jobId));
    this.events.on("completed", ({ jobId, returnvalue }) =>
      finished(jobId, returnvalue === "cancelled" ? "cancelled" : "completed"),
    );
    this.events.on("removed", ({ jobId }) => finished(jobId, "cancelled"));
    // A delayed job is claimable from its timestamp on (the next claim promotes it), but BullMQ
    // sends no event then: announce it from a local timer.
    this.events.on("delayed", ({ jobId, delay }) => {
      if (this.closed) return;
      const timer = setTimeout(
        () => {
          this.runAtTimers.delete(timer);
          ready(jobId);
        },
        Math.max(0, Number(delay) - Date.now()),
      );
      this.runAtTimers.add(timer);
    });
  }
}
