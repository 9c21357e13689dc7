import type { DroverEvent } from "../core/events.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { assertTransition, isFinal, type TaskState } from "../core/task-states.ts";
import { insertBatch } from "./batches.ts";
import { type Db, sql } from "./database.ts";
import { appendEvent } from "./events.ts";
import type { TaskKey } from "./store-types.ts";
import { getTask, insertTask, patchTask, type TaskPatch, updateTaskState } from "./tasks.ts";

// The multi-row writes the store runs inside its transactions, each returning the events it
// recorded (published by the store once the transaction commits).

export interface NewBatch {
  batchId: string;
  source: string;
  specs: readonly TaskSpec[];
  strategy?: string;
  owner?: string;
  idempotencyKeys?: ReadonlyMap<string, string>;
  /** Where each task goes right after `queued` (ready or waiting), recorded in the same transaction. */
  initialStates?: ReadonlyMap<string, "ready" | "waiting">;
}

/** A batch row, its task rows (`queued`, then their initial state) and their events. */
export function writeNewBatch(db: Db, now: number, batch: NewBatch): DroverEvent[] {
  const { batchId, specs } = batch;
  insertBatch(db, { id: batchId, source: batch.source, createdAt: now });
  sql(db, "update batches set strategy = ?, owner = ? where id = ?").run(
    batch.strategy ?? null,
    batch.owner ?? null,
    batchId,
  );
  const recorded = [
    appendEvent(db, now, { type: "batch.created", batchId, taskIds: specs.map((spec) => spec.id) }),
  ];
  for (const spec of specs) {
    insertTask(db, batchId, spec, now, batch.idempotencyKeys?.get(spec.id));
    recorded.push(
      appendEvent(db, now, { type: "task.state", batchId, taskId: spec.id, from: null, to: "queued" }),
    );
    const next = batch.initialStates?.get(spec.id);
    if (next) {
      updateTaskState(db, { batchId, taskId: spec.id }, next, undefined, now, false);
      recorded.push(
        appendEvent(db, now, { type: "task.state", batchId, taskId: spec.id, from: "queued", to: next }),
      );
    }
  }
  return recorded;
}

/** Moves one task along the transition table (throws `conflict` on an illegal move), with its event. */
export function transitionTaskRow(
  db: Db,
  key: TaskKey,
  move: { to: TaskState; now: number; reason?: string; patch?: TaskPatch },
): DroverEvent {
  const task = getTask(db, key.batchId, key.taskId);
  if (!task) throw new Error(`no task ${key.batchId}/${key.taskId}`);
  assertTransition(key.taskId, task.state, move.to);
  updateTaskState(db, key, move.to, move.reason, move.now, isFinal(move.to));
  if (move.patch) patchTask(db, key, move.patch);
  return appendEvent(db, move.now, {
    type: "task.state",
    batchId: key.batchId,
    taskId: key.taskId,
    from: task.state,
    to: move.to,
    ...(move.reason ? { reason: move.reason } : {}),
  });
}
