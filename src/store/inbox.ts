import { z } from "zod";
import { redactSecretsIn } from "../security/redact-value.ts";
import { redactSecrets } from "../security/secret-scan.ts";
import { type Db, sql } from "./database.ts";

export const InboxKind = z.enum([
  "permission",
  "blocked",
  "failed",
  "handoff",
  "watchdog",
  "thrashing",
  "network",
  "budget",
]);
export type InboxKind = z.infer<typeof InboxKind>;
export const InboxState = z.enum(["open", "approved", "denied", "dismissed", "resolved"]);
export type InboxState = z.infer<typeof InboxState>;

/** One thing that needs a person. */
export const InboxItem = z.object({
  id: z.string(),
  kind: InboxKind,
  state: InboxState,
  batchId: z.string().optional(),
  taskId: z.string().optional(),
  attemptId: z.string().optional(),
  title: z.string(),
  detail: z.string(),
  evidence: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.number(),
  answeredAt: z.number().optional(),
  answeredBy: z.string().optional(),
});
export type InboxItem = z.infer<typeof InboxItem>;

interface InboxRow {
  id: string;
  kind: string;
  state: string;
  batch_id: string | null;
  task_id: string | null;
  attempt_id: string | null;
  title: string;
  detail: string;
  evidence: string | null;
  dedupe_key: string | null;
  created_at: number;
  answered_at: number | null;
  answered_by: string | null;
}

const toItem = (row: InboxRow): InboxItem => ({
  id: row.id,
  kind: row.kind as InboxKind,
  state: row.state as InboxState,
  ...(row.batch_id ? { batchId: row.batch_id } : {}),
  ...(row.task_id ? { taskId: row.task_id } : {}),
  ...(row.attempt_id ? { attemptId: row.attempt_id } : {}),
  title: row.title,
  detail: row.detail,
  ...(row.evidence ? { evidence: JSON.parse(row.evidence) as Record<string, unknown> } : {}),
  createdAt: row.created_at,
  ...(row.answered_at ? { answeredAt: row.answered_at } : {}),
  ...(row.answered_by ? { answeredBy: row.answered_by } : {}),
});

/** SQL for the attention inbox. */
export class InboxTable {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  insert(item: InboxItem, dedupeKey: string | undefined): void {
    sql(
      this.#db,
      `insert into inbox_items (id, kind, state, batch_id, task_id, attempt_id, title, detail, evidence, dedupe_key, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      item.id,
      item.kind,
      item.state,
      item.batchId ?? null,
      item.taskId ?? null,
      item.attemptId ?? null,
      // Titles and evidence quote agents and tools: secrets are redacted before storing.
      redactSecrets(item.title),
      redactSecrets(item.detail),
      item.evidence ? JSON.stringify(redactSecretsIn(item.evidence)) : null,
      dedupeKey ?? null,
      item.createdAt,
    );
  }

  get(id: string): InboxItem | undefined {
    const row = sql(this.#db, "select * from inbox_items where id = ?").get(id) as InboxRow | undefined;
    return row ? toItem(row) : undefined;
  }

  /** The open item with this dedupe key, if any. */
  openByKey(key: string): InboxItem | undefined {
    const row = sql(this.#db, "select * from inbox_items where dedupe_key = ? and state = 'open'").get(key) as
      | InboxRow
      | undefined;
    return row ? toItem(row) : undefined;
  }

  /** Newest first. */
  list(options: { openOnly: boolean; limit: number }): InboxItem[] {
    const where = options.openOnly ? "where state = 'open'" : "";
    const rows = sql(
      this.#db,
      `select * from inbox_items ${where} order by created_at desc, rowid desc limit ?`,
    ).all(options.limit) as InboxRow[];
    return rows.map(toItem);
  }

  /** Open items about one task. */
  openForTask(batchId: string, taskId: string): InboxItem[] {
    const rows = sql(
      this.#db,
      "select * from inbox_items where batch_id = ? and task_id = ? and state = 'open' order by created_at",
    ).all(batchId, taskId) as InboxRow[];
    return rows.map(toItem);
  }

  /** Closes an open item; false when it was not open (gone or answered already). */
  close(id: string, state: InboxState, at: number, by: string | undefined): boolean {
    const result = sql(
      this.#db,
      "update inbox_items set state = ?, answered_at = ?, answered_by = ? where id = ? and state = 'open'",
    ).run(state, at, by ?? null, id);
    return result.changes === 1;
  }
}
