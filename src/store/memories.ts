import { type Db, sql } from "./database.ts";

export interface MemoryRecord {
  id: number;
  namespace: string;
  type: string;
  tags: string;
  content: string;
  usefulness: number;
  recallCount: number;
  createdAt: number;
  lastRecalledAt?: number;
  /** Only from recall: the combined rank (lower is better). */
  score?: number;
}

interface MemoryRow {
  id: number;
  namespace: string;
  type: string;
  tags: string;
  content: string;
  usefulness: number;
  recall_count: number;
  created_at: number;
  last_recalled_at: number | null;
  score?: number;
}

const toRecord = (row: MemoryRow): MemoryRecord => ({
  id: row.id,
  namespace: row.namespace,
  type: row.type,
  tags: row.tags,
  content: row.content,
  usefulness: row.usefulness,
  recallCount: row.recall_count,
  createdAt: row.created_at,
  ...(row.last_recalled_at ? { lastRecalledAt: row.last_recalled_at } : {}),
  ...(row.score !== undefined ? { score: row.score } : {}),
});

/** SQL for namespaced memory: an FTS5 index beside a table of metadata, one rowid for both. */
export class MemoryTable {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  findByHash(namespace: string, hash: string): MemoryRecord | undefined {
    const row = sql(this.#db, "select * from memories where namespace = ? and content_hash = ?").get(
      namespace,
      hash,
    ) as MemoryRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  insert(entry: {
    namespace: string;
    type: string;
    tags: string;
    content: string;
    hash: string;
    now: number;
  }): number {
    return this.#db.transaction(() => {
      const fts = sql(this.#db, "insert into memory_fts (content, tags) values (?, ?)").run(
        entry.content,
        entry.tags,
      );
      const id = Number(fts.lastInsertRowid);
      sql(
        this.#db,
        "insert into memories (id, namespace, type, tags, content, content_hash, bytes, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        id,
        entry.namespace,
        entry.type,
        entry.tags,
        entry.content,
        entry.hash,
        Buffer.byteLength(entry.content),
        entry.now,
      );
      return id;
    })();
  }

  /** bm25 ranking, lifted by usefulness feedback: score = bm25 − weight × usefulness (lower is better). */
  search(
    namespaces: readonly string[],
    match: string,
    limit: number,
    usefulnessWeight: number,
  ): MemoryRecord[] {
    const marks = namespaces.map(() => "?").join(", ");
    const rows = sql(
      this.#db,
      `select m.*, bm25(memory_fts) - ? * m.usefulness as score
         from memory_fts join memories m on m.id = memory_fts.rowid
         where memory_fts match ? and m.namespace in (${marks})
         order by score limit ?`,
    ).all(usefulnessWeight, match, ...namespaces, limit) as MemoryRow[];
    return rows.map(toRecord);
  }

  markRecalled(ids: readonly number[], now: number): void {
    const statement = sql(
      this.#db,
      "update memories set recall_count = recall_count + 1, last_recalled_at = ? where id = ?",
    );
    this.#db.transaction(() => {
      for (const id of ids) statement.run(now, id);
    })();
  }

  list(namespace: string | undefined, limit: number): MemoryRecord[] {
    const rows = (
      namespace
        ? sql(
            this.#db,
            "select * from memories where namespace = ? order by created_at desc, id desc limit ?",
          ).all(namespace, limit)
        : sql(this.#db, "select * from memories order by created_at desc, id desc limit ?").all(limit)
    ) as MemoryRow[];
    return rows.map(toRecord);
  }

  get(id: number): MemoryRecord | undefined {
    const row = sql(this.#db, "select * from memories where id = ?").get(id) as MemoryRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  adjustUsefulness(id: number, delta: number): boolean {
    return (
      sql(this.#db, "update memories set usefulness = usefulness + ? where id = ?").run(delta, id).changes ===
      1
    );
  }

  delete(ids: readonly number[]): number {
    const meta = sql(this.#db, "delete from memories where id = ?");
    const fts = sql(this.#db, "delete from memory_fts where rowid = ?");
    return this.#db.transaction(() => {
      let n = 0;
      for (const id of ids) {
        n += meta.run(id).changes;
        fts.run(id);
      }
      return n;
    })();
  }

  namespaces(): { namespace: string; count: number; bytes: number }[] {
    return sql(
      this.#db,
      "select namespace, count(*) as count, sum(bytes) as bytes from memories group by namespace order by namespace",
    ).all() as { namespace: string; count: number; bytes: number }[];
  }

  /** Ids to drop to bring a namespace within caps: least useful, least recently used first. */
  overflow(namespace: string, maxEntries: number, maxBytes: number): number[] {
    const rows = sql(
      this.#db,
      `select id, bytes from memories where namespace = ?
         order by usefulness desc, coalesce(last_recalled_at, created_at) desc, id desc`,
    ).all(namespace) as { id: number; bytes: number }[];
    const drop: number[] = [];
    let count = 0;
    let bytes = 0;
    for (const row of rows) {
      count++;
      bytes += row.bytes;
      if (count > maxEntries || bytes > maxBytes) drop.push(row.id);
    }
    return drop;
  }

  olderThan(namespace: string | undefined, before: number): number[] {
    const rows = (
      namespace
        ? sql(
            this.#db,
            "select id from memories where namespace = ? and coalesce(last_recalled_at, created_at) < ?",
          ).all(namespace, before)
        : sql(this.#db, "select id from memories where coalesce(last_recalled_at, created_at) < ?").all(
            before,
          )
    ) as { id: number }[];
    return rows.map((row) => row.id);
  }
}
