import { type Db, sql } from "./database.ts";

export interface BatchRecord {
  id: string;
  source: string;
  owner?: string;
  strategy?: string;
  createdAt: number;
  finishedAt?: number;
}

export function insertBatch(db: Db, batch: { id: string; source: string; createdAt: number }): void {
  sql(db, "insert into batches (id, source, created_at) values (?, ?, ?)").run(
    batch.id,
    batch.source,
    batch.createdAt,
  );
}

export function markBatchFinished(db: Db, batchId: string, finishedAt: number): void {
  sql(db, "update batches set finished_at = ? where id = ?").run(finishedAt, batchId);
}

export function getBatch(db: Db, batchId: string): BatchRecord | undefined {
  const row = sql(db, "select id, source, created_at, finished_at from batches where id = ?").get(batchId) as
    | { id: string; source: string; created_at: number; finished_at: number | null }
    | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    source: row.source,
    createdAt: row.created_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}
