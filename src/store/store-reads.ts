import type { DroverEvent } from "../core/events.ts";
import {
  type AttemptRecord,
  getOpenAttempt,
  listAttempts,
  listAttemptTranscripts,
  type StoredTranscript,
} from "./attempts.ts";
import { type BatchRecord, getBatch, listUnfinishedBatches } from "./batches.ts";
import type { Db } from "./database.ts";
import { type ListEventsFilter, listEvents } from "./events.ts";
import type { TaskKey } from "./store-types.ts";
import { readTaskActivity, type TaskActivity } from "./task-activity.ts";
import {
  countTasksByState,
  findTaskByIdempotencyKey,
  getTask,
  listActiveTasks,
  listTasks,
  type TaskRecord,
} from "./tasks.ts";

/** The store's reads (no transaction, no event): what views, recovery and results ask. */
export class StoreReads {
  readonly #readDb: Db;

  constructor(db: Db) {
    this.#readDb = db;
  }

  getBatch(batchId: string): BatchRecord | undefined {
    return getBatch(this.#readDb, batchId);
  }

  /** Unfinished batches of a source (a task file's path), newest first. */
  listUnfinishedBatches(source: string): BatchRecord[] {
    return listUnfinishedBatches(this.#readDb, source);
  }

  listBatches(limit = 50): BatchRecord[] {
    const rows = this.#readDb
      .prepare("select id from batches order by created_at desc limit ?")
      .all(limit) as {
      id: string;
    }[];
    return rows.flatMap((row) => {
      const batch = getBatch(this.#readDb, row.id);
      return batch ? [batch] : [];
    });
  }

  getTask(key: TaskKey): TaskRecord | undefined {
    return getTask(this.#readDb, key.batchId, key.taskId);
  }

  findTaskByIdempotencyKey(idempotencyKey: string): TaskRecord | undefined {
    return findTaskByIdempotencyKey(this.#readDb, idempotencyKey);
  }

  listTasks(batchId: string): TaskRecord[] {
    return listTasks(this.#readDb, batchId);
  }

  /** Tasks of every batch by state (for metrics). */
  countTasksByState(): Record<string, number> {
    return countTasksByState(this.#readDb);
  }

  /** Unfinished tasks of the batches `owner` runs. */
  listActiveTasks(owner: string): TaskRecord[] {
    return listActiveTasks(this.#readDb, owner);
  }

  listAttempts(batchId: string, taskId?: string): AttemptRecord[] {
    return listAttempts(this.#readDb, batchId, taskId);
  }

  /** The stored conversations of a task's attempts, by attempt id. */
  listAttemptTranscripts(key: TaskKey): Map<string, StoredTranscript> {
    return listAttemptTranscripts(this.#readDb, key.batchId, key.taskId);
  }

  getOpenAttempt(key: TaskKey): AttemptRecord | undefined {
    return getOpenAttempt(this.#readDb, key.batchId, key.taskId);
  }

  listEvents(filter: ListEventsFilter = {}): DroverEvent[] {
    return listEvents(this.#readDb, filter);
  }

  /** Per task of a batch: its latest progress (liveness and evidence) and the watchdog's actions. */
  taskActivity(batchId: string): Map<string, TaskActivity> {
    return readTaskActivity(this.#readDb, batchId);
  }
}
