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
  const row = sql(
    db,
    "select id, source, owner, strategy, created_at, finished_at from batches where id = ?",
  ).get(batchId) as BatchRow | undefined;
  return row ? toBatch(row) : undefined;
}

/** Unfinished batches read from `source` (a task file's path), newest first. */
export function listUnfinishedBatches(db: Db, source: string): BatchRecord[] {
  const rows = sql(
    db,
    `select id, source, owner, strategy, created_at, finished_at from batches
       where source = ? and finished_at is null order by created_at desc`,
  ).all(source) as BatchRow[];
  return rows.map(toBatch);
}

/** Hands a batch to another supervisor (resuming the batch of a `drover run` that died). */
export function setBatchOwner(db: Db, batchId: string, owner: string): void {
  sql(db, "update batches set owner = ? where id = ?").run(owner, batchId);
}

interface BatchRow {
  id: string;
  source: string;
  owner: string | null;
  strategy: string | null;
  created_at: number;
  finished_at: number | null;
}

function toBatch(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    source: row.source,
    ...(row.owner ? { owner: row.owner } : {}),
    ...(row.strategy ? { strategy: row.strategy } : {}),
    createdAt: row.created_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}
