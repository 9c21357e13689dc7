import { type Db, sql } from "./database.ts";

export interface MailRecord {
  id: string;
  to: string;
  from?: string;
  type: string;
  priority: string;
  payload: string;
  status: string;
  deliveringRun?: string;
  createdAt: number;
  expiresAt: number;
  readAt?: number;
  ackedAt?: number;
}

interface MailRow {
  id: string;
  to_runner: string;
  from_runner: string | null;
  type: string;
  priority: string;
  payload: string;
  status: string;
  delivering_run: string | null;
  created_at: number;
  expires_at: number;
  read_at: number | null;
  acked_at: number | null;
}

const toRecord = (row: MailRow): MailRecord => ({
  id: row.id,
  to: row.to_runner,
  ...(row.from_runner ? { from: row.from_runner } : {}),
  type: row.type,
  priority: row.priority,
  payload: row.payload,
  status: row.status,
  ...(row.delivering_run ? { deliveringRun: row.delivering_run } : {}),
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  ...(row.read_at ? { readAt: row.read_at } : {}),
  ...(row.acked_at ? { ackedAt: row.acked_at } : {}),
});

const priorityOrder = "case priority when 'high' then 0 when 'normal' then 1 else 2 end";

/** SQL for the mailbox. */
export class MailTable {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  insert(rows: readonly Omit<MailRecord, "status">[]): void {
    const statement = sql(
      this.#db,
      "insert into mail (id, to_runner, from_runner, type, priority, payload, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#db.transaction(() => {
      for (const row of rows) {
        statement.run(
          row.id,
          row.to,
          row.from ?? null,
          row.type,
          row.priority,
          row.payload,
          row.createdAt,
          row.expiresAt,
        );
      }
    })();
  }

  get(id: string): MailRecord | undefined {
    const row = sql(this.#db, "select * from mail where id = ?").get(id) as MailRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(filter: {
    to?: string;
    statuses?: readonly string[];
    now: number;
    includeExpired?: boolean;
  }): MailRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.to) {
      where.push("to_runner = ?");
      params.push(filter.to);
    }
    if (filter.statuses) {
      where.push(`status in (${filter.statuses.map(() => "?").join(", ")})`);
      params.push(...filter.statuses);
    }
    if (!filter.includeExpired) {
      where.push("expires_at > ?");
      params.push(filter.now);
    }
    const text = `select * from mail ${where.length ? `where ${where.join(" and ")}` : ""} order by ${priorityOrder}, created_at, id`;
    return (sql(this.#db, text).all(...params) as MailRow[]).map(toRecord);
  }

  /** Unread, unexpired mail of a runner, claimed for one run (status delivering). */
  claimForRun(to: string, runId: string, now: number): MailRecord[] {
    return this.#db.transaction(() => {
      const rows = sql(
        this.#db,
        `select * from mail where to_runner = ? and status = 'unread' and expires_at > ? order by ${priorityOrder}, created_at, id`,
      ).all(to, now) as MailRow[];
      const claim = sql(
        this.#db,
        "update mail set status = 'delivering', delivering_run = ? where id = ? and status = 'unread'",
      );
      for (const row of rows) claim.run(runId, row.id);
      return rows.map((row) => toRecord({ ...row, status: "delivering", delivering_run: runId }));
    })();
  }

  /** After the run: delivered (read) if it succeeded, back to unread if not. */
  settleRun(runId: string, delivered: boolean, now: number): number {
    const text = delivered
      ? "update mail set status = 'read', read_at = ?, delivering_run = null where delivering_run = ? and status = 'delivering'"
      : "update mail set status = 'unread', delivering_run = null where delivering_run = ? and status = 'delivering'";
    return (delivered ? sql(this.#db, text).run(now, runId) : sql(this.#db, text).run(runId)).changes;
  }

  setStatus(id: string, status: "read" | "acked" | "archived", now: number): boolean {
    const column = status === "read" ? "read_at" : status === "acked" ? "acked_at" : "archived_at";
    return (
      sql(this.#db, `update mail set status = ?, ${column} = coalesce(${column}, ?) where id = ?`).run(
        status,
        now,
        id,
      ).changes === 1
    );
  }

  archiveRead(to: string | undefined, now: number): number {
    const base = "update mail set status = 'archived', archived_at = ? where status in ('read', 'acked')";
    return (to ? sql(this.#db, `${base} and to_runner = ?`).run(now, to) : sql(this.#db, base).run(now))
      .changes;
  }

  /** Marks expired undelivered mail `expired`; deletes archived/expired mail older than `before`. */
  prune(now: number, before: number): { expired: number; deleted: number } {
    return this.#db.transaction(() => {
      const expired = sql(
        this.#db,
        "update mail set status = 'expired' where expires_at <= ? and status in ('unread', 'read', 'acked')",
      ).run(now).changes;
      const deleted = sql(
        this.#db,
        "delete from mail where status in ('archived', 'expired') and coalesce(archived_at, expires_at) < ?",
      ).run(before).changes;
      return { expired, deleted };
    })();
  }
}
