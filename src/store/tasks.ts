import type { Outcome } from "../core/outcome.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";
import { redactSecretsIn } from "../security/redact-value.ts";
import { redactSecrets } from "../security/secret-scan.ts";
import { type Db, sql } from "./database.ts";

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
  runAt?: number;
  leaseOwner?: string;
  leaseUntil?: number;
  idempotencyKey?: string;
  freshAttempts: number;
  continuations: number;
  recoveryUsed: boolean;
  /** Model requests that failed with a provider error so far (OpenCode's own retries included). */
  failedRequests: number;
  /** The model the next attempt uses (the spec's, or a higher tier after escalation). */
  model: string;
  pendingPrompt?: string;
  sessionServer?: string;
}

/** Scheduling fields a supervisor changes together with a state; `null` clears a field. */
export interface TaskPatch {
  runAt?: number | null;
  leaseOwner?: string | null;
  leaseUntil?: number | null;
  freshAttempts?: number;
  continuations?: number;
  recoveryUsed?: boolean;
  failedRequests?: number;
  model?: string;
  pendingPrompt?: string | null;
  sessionId?: string | null;
  sessionServer?: string | null;
}

const patchColumns: Record<keyof TaskPatch, string> = {
  runAt: "run_at",
  leaseOwner: "lease_owner",
  leaseUntil: "lease_until",
  freshAttempts: "fresh_attempts",
  continuations: "continuations",
  recoveryUsed: "recovery_used",
  failedRequests: "failed_requests",
  model: "model",
  pendingPrompt: "pending_prompt",
  sessionId: "session_id",
  sessionServer: "session_server",
};

export function patchTask(db: Db, key: { batchId: string; taskId: string }, patch: TaskPatch): void {
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [
    keyof TaskPatch,
    unknown,
  ][];
  if (entries.length === 0) return;
  const sets = entries.map(([field]) => `${patchColumns[field]} = ?`).join(", ");
  const values = entries.map(([, value]) => (typeof value === "boolean" ? Number(value) : value));
  sql(db, `update tasks set ${sets} where batch_id = ? and id = ?`).run(...values, key.batchId, key.taskId);
}

/** Every task not in a final state, oldest first: what a starting supervisor takes over. */
export function listActiveTasks(db: Db, owner: string): TaskRecord[] {
  const rows = sql(
    db,
    `select t.* from tasks t join batches b on b.id = t.batch_id
       where b.owner = ? and t.state not in ('succeeded','failed','blocked','timed_out','cancelled')
       order by t.created_at, t.rowid`,
  ).all(owner) as TaskRow[];
  return rows.map(toRecord);
}

export function findTaskByIdempotencyKey(db: Db, idempotencyKey: string): TaskRecord | undefined {
  const row = sql(db, "select * from tasks where idempotency_key = ?").get(idempotencyKey) as
    | TaskRow
    | undefined;
  return row ? toRecord(row) : undefined;
}

/** Extends the lease of every task this owner runs; returns how many. */
export function renewLeases(db: Db, owner: string, until: number): number {
  return sql(db, "update tasks set lease_until = ? where state = 'running' and lease_owner = ?").run(
    until,
    owner,
  ).changes;
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
  run_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  idempotency_key: string | null;
  fresh_attempts: number;
  continuations: number;
  recovery_used: number;
  failed_requests: number;
  model: string | null;
  pending_prompt: string | null;
  session_server: string | null;
}

export function insertTask(
  db: Db,
  batchId: string,
  spec: TaskSpec,
  now: number,
  idempotencyKey?: string,
): void {
  sql(
    db,
    `insert into tasks (batch_id, id, title, spec, state, created_at, updated_at, idempotency_key, model)
     values (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
  ).run(batchId, spec.id, spec.title, JSON.stringify(spec), now, now, idempotencyKey ?? null, spec.model);
}

export function getTask(db: Db, batchId: string, taskId: string): TaskRecord | undefined {
  const row = sql(db, "select * from tasks where batch_id = ? and id = ?").get(batchId, taskId) as
    | TaskRow
    | undefined;
  return row ? toRecord(row) : undefined;
}

/** How many tasks of every batch are in each state (read through the `tasks_by_state` index). */
export function countTasksByState(db: Db): Record<string, number> {
  const rows = sql(db, "select state, count(*) as count from tasks group by state").all() as {
    state: string;
    count: number;
  }[];
  return Object.fromEntries(rows.map((row) => [row.state, row.count]));
}

export function listTasks(db: Db, batchId: string): TaskRecord[] {
  const rows = sql(db, "select * from tasks where batch_id = ? order by rowid").all(batchId) as TaskRow[];
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
  sql(
    db,
    "update tasks set state = ?, state_reason = ?, updated_at = ?, finished_at = ? where batch_id = ? and id = ?",
  ).run(
    to,
    reason !== undefined ? redactSecrets(reason) : null,
    now,
    final ? now : null,
    key.batchId,
    key.taskId,
  );
}

export function recordTaskOutcome(
  db: Db,
  key: { batchId: string; taskId: string },
  fields: { sessionId?: string; outcome?: Outcome },
): void {
  sql(
    db,
    "update tasks set session_id = coalesce(?, session_id), outcome = coalesce(?, outcome) where batch_id = ? and id = ?",
  ).run(
    fields.sessionId ?? null,
    // The agent's own report: secrets are redacted before storing.
    fields.outcome ? JSON.stringify(redactSecretsIn(fields.outcome)) : null,
    key.batchId,
    key.taskId,
  );
}

export function incrementAttemptCount(db: Db, key: { batchId: string; taskId: string }): number {
  const row = sql(
    db,
    "update tasks set attempt_count = attempt_count + 1 where batch_id = ? and id = ? returning attempt_count",
  ).get(key.batchId, key.taskId) as { attempt_count: number };
  return row.attempt_count;
}

function toRecord(row: TaskRow): TaskRecord {
  const spec = JSON.parse(row.spec) as TaskSpec;
  return {
    batchId: row.batch_id,
    id: row.id,
    spec,
    state: row.state,
    ...(row.state_reason ? { stateReason: row.state_reason } : {}),
    attemptCount: row.attempt_count,
    ...(row.session_id ? { sessionId: row.session_id } : {}),
    ...(row.outcome ? { outcome: JSON.parse(row.outcome) as Outcome } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    ...(row.run_at !== null ? { runAt: row.run_at } : {}),
    ...(row.lease_owner ? { leaseOwner: row.lease_owner } : {}),
    ...(row.lease_until !== null ? { leaseUntil: row.lease_until } : {}),
    ...(row.idempotency_key ? { idempotencyKey: row.idempotency_key } : {}),
    freshAttempts: row.fresh_attempts,
    continuations: row.continuations,
    recoveryUsed: row.recovery_used === 1,
    failedRequests: row.failed_requests ?? 0,
    model: row.model ?? spec.model,
    ...(row.pending_prompt ? { pendingPrompt: row.pending_prompt } : {}),
    ...(row.session_server ? { sessionServer: row.session_server } : {}),
  };
}
