import type { DroverEvent, DroverEventBody } from "../core/events.ts";
import { redactSecretsIn } from "../security/redact-value.ts";
import { type Db, sql } from "./database.ts";

interface EventRow {
  seq: number;
  ts: number;
  body: string;
}

/**
 * An event as it may leave drover: every string passed through `redactSecrets` (shapes and the
 * exact values drover hands its workers). Agents, tools and providers write much of what events
 * carry; the store is where every event passes, recorded or not.
 */
export function redactEvent<T extends DroverEventBody>(event: T): T {
  return redactSecretsIn(event);
}

/** Appends one event row and returns the recorded event (with its sequence number). */
export function appendEvent(db: Db, ts: number, event: DroverEventBody): DroverEvent {
  const body = redactEvent(event);
  const ids = body as { batchId?: string; taskId?: string; attemptId?: string };
  const result = sql(
    db,
    "insert into events (ts, type, batch_id, task_id, attempt_id, body) values (?, ?, ?, ?, ?, ?)",
  ).run(ts, body.type, ids.batchId ?? null, ids.taskId ?? null, ids.attemptId ?? null, JSON.stringify(body));
  return { ...body, seq: Number(result.lastInsertRowid), ts };
}

export interface ListEventsFilter {
  batchId?: string;
  taskId?: string;
  afterSeq?: number;
  limit?: number;
}

export function listEvents(db: Db, filter: ListEventsFilter = {}): DroverEvent[] {
  const where: string[] = ["seq > ?"];
  const params: unknown[] = [filter.afterSeq ?? 0];
  if (filter.batchId) {
    where.push("batch_id = ?");
    params.push(filter.batchId);
  }
  if (filter.taskId) {
    where.push("task_id = ?");
    params.push(filter.taskId);
  }
  params.push(filter.limit ?? 10_000);
  const rows = sql(
    db,
    `select seq, ts, body from events where ${where.join(" and ")} order by seq limit ?`,
  ).all(...params) as EventRow[];
  return rows.map((row) => ({ ...(JSON.parse(row.body) as DroverEventBody), seq: row.seq, ts: row.ts }));
}
