import { z } from "zod";
import { queuedTaskSchema, type TaskKey } from "./queue-contract.ts";

/** What a BullMQ job carries: the task ref, why it waits, and whether it was cancelled while held. */
export const bullmqJobDataSchema = z.object({
  task: queuedTaskSchema,
  waitReason: z.enum(["enqueued", "retry", "park"]),
  cancelRequested: z.boolean().default(false),
});
export type BullmqJobData = z.output<typeof bullmqJobDataSchema>;

/**
 * One job id per task, so a second enqueue of a queued task is a no-op. Both parts are
 * URI-encoded: BullMQ refuses `:` in custom ids and the `/` separates them.
 */
export function jobIdOf(key: TaskKey): string {
  return `${encodeURIComponent(key.batchId)}/${encodeURIComponent(key.taskId)}`;
}

/** The task a job id names, or undefined for a job this queue did not create. */
export function taskKeyOfJobId(jobId: string): TaskKey | undefined {
  const parts = jobId.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  try {
    return { batchId: decodeURIComponent(parts[0]), taskId: decodeURIComponent(parts[1]) };
  } catch {
    return undefined;
  }
}

/** BullMQ reserves priority 0 for "no priority" (served before all prioritized jobs): shift by one. */
export function bullmqPriorityOf(priority: number): number {
  return priority + 1;
}

/** Whether an error thrown by a BullMQ move means the lock was gone or held by another token. */
export function isLostLockError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /Missing lock|Lock mismatch|Missing key|not in the active state|could not be removed because it is locked/i.test(
    message,
  );
}
