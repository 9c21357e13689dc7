import Database from "better-sqlite3";

export type QueueDb = Database.Database;

/**
 * One row per queued task. `lease_token` null means waiting (claimable once `run_at` has come);
 * set means held until `lease_until`. `seq` keeps FIFO order among equal priorities; a retried
 * or parked task takes a new one and rejoins at the back. `announced` remembers whether the
 * "task ready" notification for the current wait was sent.
 */
const createTables = `
create table if not exists queue_tasks (
  batch_id text not null,
  task_id text not null,
  priority integer not null,
  seq integer not null,
  routing text not null,
  payload text,
  run_at integer not null,
  wait_reason text not null,
  announced integer not null default 0,
  lease_owner text,
  lease_token text,
  lease_until integer,
  claim_count integer not null default 0,
  cancel_requested integer not null default 0,
  primary key (batch_id, task_id)
);
create index if not exists queue_tasks_claimable on queue_tasks (priority, seq) where lease_token is null;
create index if not exists queue_tasks_leases on queue_tasks (lease_until) where lease_token is not null;
`;

/** Opens the queue's own file in WAL mode with the same busy timeout the store uses. */
export function openQueueDatabase(file: string): QueueDb {
  const db = new Database(file);
  // First, so that a second handle on the same file waits for the write lock instead of failing.
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.transaction(() => db.exec(createTables)).immediate();
  return db;
}

/** A row of `queue_tasks` as better-sqlite3 returns it. */
export interface QueueTaskRow {
  batch_id: string;
  task_id: string;
  priority: number;
  seq: number;
  routing: string;
  payload: string | null;
  run_at: number;
  wait_reason: string;
  announced: number;
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: number | null;
  claim_count: number;
  cancel_requested: number;
}
