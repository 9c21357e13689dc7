import { z } from "zod";

/*
 * Terminology
 * - queued task: a ready task ref in the queue; the store still owns the task itself.
 * - claim: taking the next claimable task under a lease (owner + TTL + token).
 * - lease token: the fencing value of one claim; renew/complete/retry/park need it, and a
 *   reclaimed or re-claimed task never accepts an old token again.
 * - run-at: the earliest time a retried or parked task may be claimed again.
 * - reclaim: turning tasks whose lease expired back into claimable work.
 */

/** Where a task wants to run, so a worker can pick by its capabilities later. Kept small on purpose. */
export const taskRoutingSchema = z
  .object({
    engine: z.string().min(1).optional().describe("Engine name, e.g. `opencode`."),
    provider: z.string().min(1).optional().describe("Model provider, e.g. `anthropic`."),
    model: z.string().min(1).optional().describe("Model id as the engine names it."),
    dir: z.string().min(1).optional().describe("Directory the task runs in."),
  })
  .strict();
export type TaskRouting = z.infer<typeof taskRoutingSchema>;

/** Highest priority number accepted; BullMQ's own limit is 2^21, and it reserves 0. */
export const maxQueuePriority = 2_000_000;

/** What `enqueue` takes: a task ref plus routing data and an optional priority (lower first). */
export const queuedTaskSchema = z
  .object({
    batchId: z.string().min(1).describe("Batch the task belongs to."),
    taskId: z.string().min(1).describe("Task id within the batch (may be dotted)."),
    priority: z
      .number()
      .int()
      .min(0)
      .max(maxQueuePriority)
      .default(0)
      .describe("Lower is claimed first; FIFO among equal priorities."),
    routing: taskRoutingSchema.default({}).describe("Routing data for capability-based claims."),
    payload: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Opaque data for whoever claims the task (the fleet carries the attempt in it)."),
  })
  .strict();
export type QueuedTaskInput = z.input<typeof queuedTaskSchema>;
export type QueuedTask = z.output<typeof queuedTaskSchema>;

/** Identifies one task in the queue. */
export interface TaskKey {
  batchId: string;
  taskId: string;
}

/** What a claim holds; pass it back to renew, complete, retry or park. */
export interface Lease {
  batchId: string;
  taskId: string;
  owner: string;
  /** Fencing value of this claim; an older claim's token is refused once the task moved on. */
  token: string;
}

/** A claimed task: the task ref and the lease on it. */
export interface ClaimedTask {
  task: QueuedTask;
  lease: Lease;
  /** 1 for the first claim of this queued task, 2 after a reclaim or retry, … */
  claimCount: number;
  /** When the lease ends unless renewed, in the backend's time (see each backend). */
  leaseUntil: number;
}

export const claimRequestSchema = z
  .object({
    owner: z.string().min(1).describe("Who claims: worker or supervisor id."),
    leaseMs: z.number().int().min(100).max(86_400_000).describe("Lease length before renewal."),
  })
  .strict();
export type ClaimRequest = z.infer<typeof claimRequestSchema>;

/**
 * Why a lease operation was refused. `lease_lost`: the lease expired or the task was reclaimed or
 * claimed by someone else; `cancelled`: the task was cancelled while held, stop and let it go.
 */
export type LeaseRefusal = "lease_lost" | "cancelled";

/** Outcome of renew/complete/retry/park: data, never an exception. */
export type LeaseResult = { ok: true; leaseUntil?: number } | { ok: false; reason: LeaseRefusal };

export type EnqueueResult = { enqueued: true } | { enqueued: false; reason: "already_queued" };

/** `removed`: was waiting, now gone; `marked`: held, the holder learns on its next renew. */
export type CancelResult = { cancelled: "removed" | "marked" } | { cancelled: false; reason: "not_found" };

/** Why a task left the queue. */
export type FinishReason = "completed" | "cancelled";

export type TaskReadyListener = (key: TaskKey) => void;
export type TaskFinishedListener = (key: TaskKey, reason: FinishReason) => void;

/**
 * Carries ready work and leases (never task state: the store stays the source of truth).
 * Every backend passes test/queue/conformance. Delivery is at-least-once: a task whose lease
 * lapses is claimed again, so effects must be idempotent on (task, claimCount).
 */
export interface Queue {
  /** Adds a ready task; with `runAt`, not claimable before then. A task already queued is left alone. */
  enqueue(task: QueuedTaskInput, options?: { runAt?: number }): Promise<EnqueueResult>;
  /** Claims the next claimable task (lowest priority, then oldest), or undefined when none is. */
  claim(request: ClaimRequest): Promise<ClaimedTask | undefined>;
  /** Extends a held lease by `leaseMs` from now; says `cancelled` once the task was cancelled. */
  renewLease(lease: Lease, leaseMs: number): Promise<LeaseResult>;
  /** Removes a held task from the queue (it ran; the store records how). */
  complete(lease: Lease): Promise<LeaseResult>;
  /** Puts a held task back, claimable from `runAt` (backoff before the next attempt). */
  retryAt(lease: Lease, runAt: number): Promise<LeaseResult>;
  /** Puts a held task back until `until` (rate limit or quota reset); same as retry, other reason. */
  parkUntil(lease: Lease, until: number): Promise<LeaseResult>;
  /** Removes a waiting task, or marks a held one so its holder's next renew says `cancelled`. */
  cancel(key: TaskKey): Promise<CancelResult>;
  /** Whether the task is in the queue, waiting or held (false once completed, cancelled or lost). */
  has(key: TaskKey): Promise<boolean>;
  /** Makes tasks whose lease expired claimable again; returns how many it moved. */
  reclaimExpiredLeases(): Promise<{ reclaimed: number }>;
  /** Called when a task becomes claimable (enqueued, its run-at came, or reclaimed). */
  onTaskReady(listener: TaskReadyListener): () => void;
  /** Called when a task leaves the queue for good (completed or cancelled). */
  onTaskFinished(listener: TaskFinishedListener): () => void;
  /** Releases connections and timers; leases stay as they are in the backend. */
  close(): Promise<void>;
}
