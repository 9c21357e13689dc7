import type { Outcome } from "../core/outcome.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";
import type { Db } from "./database.ts";

export interface TaskRecord {
  batchId: string;
  id: string;
  spec: TaskSpec;
  state: TaskState;
  stateReason?: string;
  attemptCount: number;
  sessionId?: string;
  outcome?: Outcome;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
}

interface TaskRow {
  batch_id: string;
  id: string;
  spec: string;
  state: TaskState;
  state_reason: string | null;
  attempt_count: number;
  session_id: string | null;
  outcome: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export function insertTask(db: Db, batchId: string, spec: TaskSpec, now: number): void {
  db.prepare(
    "insert into tasks (batch_id, id, title, spec, state, created_at, updated_at) values (?, ?, ?, ?, 'queued', ?, ?)",
  ).run(batchId, spec.id, spec.title, JSON.stringify(spec), now, now);
}

export function getTask(db: Db, batchId: string, taskId: string): TaskRecord | undefined {
  const row = db.prepare("select * from tasks where batch_id = ? and id = ?").get(batchId, taskId) as
    | TaskRow
    | undefined;
  return row ? toRecord(row) : undefined;
}

export function listTasks(db: Db, batchId: string): TaskRecord[] {
  const rows = db.prepare("select * from tasks where batch_id = ? order by rowid").all(batchId) as TaskRow[];
  return rows.map(toRecord);
}

export function updateTaskState(
  db: Db,
  key: { batchId: string; taskId: string },
  to: TaskState,
  reason: string | undefined,
  now: number,
  final: boolean,
): void {
  db.prepare(
    "update tasks set state = ?, state_reason = ?, updated_at = ?, finished_at = ? where batch_id = ? and id = ?",
  ).run(to, reason ?? null, now, final ? now : null, key.batchId, key.taskId);
}

export function recordTaskOutcome(
  db: Db,
  key: { batchId: string; taskId: string },
  fields: { sessionId?: string; outcome?: Outcome },
): void {
  db.prepare(
    "update tasks set session_id = coalesce(?, session_id), outcome = coalesce(?, outcome) where batch_id = ? and id = ?",
  ).run(
    fields.sessionId ?? null,
    fields.outcome ? JSON.stringify(fields.outcome) : null,
    key.batchId,
    key.taskId,
  );
}

export function incrementAttemptCount(db: Db, key: { batchId: string; taskId: string }): number {
  const row = db
    .prepare(
      "update tasks set attempt_count = attempt_count + 1 where batch_id = ? and id = ? returning attempt_count",
    )
    .get(key.batchId, key.taskId) as { attempt_count: number };
  return row.attempt_count;
}

function toRecord(row: TaskRow): TaskRecord {
  return {
    batchId: row.batch_id,
    id: row.id,
    spec: JSON.parse(row.spec) as TaskSpec,
    state: row.state,
    ...(row.state_reason ? { stateReason: row.state_reason } : {}),
    attemptCount: row.attempt_count,
    ...(row.session_id ? { sessionId: row.session_id } : {}),
    ...(row.outcome ? { outcome: JSON.parse(row.outcome) as Outcome } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}
