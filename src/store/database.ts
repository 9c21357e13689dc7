import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrations } from "./migrations/index.ts";

export type Db = Database.Database;

/** Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations. */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  applyMigrations(db);
  return db;
}

export function applyMigrations(db: Db): number[] {
  db.exec(
    "create table if not exists schema_migrations (version integer primary key, name text, applied_at integer)",
  );
  const done = new Set(
    (db.prepare("select version from schema_migrations").all() as { version: number }[]).map(
      (row) => row.version,
    ),
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("insert into schema_migrations (version, name, applied_at) values (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    })();
    applied.push(migration.version);
  }
  return applied;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per database and SQL text. Preparing on every call
 * allocates a native statement each time (measured: +65 MB RSS submitting 10,000 tasks).
 */
export function sql(db: Db, text: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}
