import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrations } from "./migrations/index.ts";

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations. The file
 * and its -wal/-shm companions are owner-only (0600): they hold prompts, transcripts and outcomes.
 */
export function openDatabase(file: string): Db {
  const onDisk = file !== ":memory:" && file !== "";
  if (onDisk) createOwnerOnlyFile(file);
  const db = new Database(file);
  // First, so that opening beside another drover waits for its lock instead of failing at once.
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  // SQLite gives new -wal/-shm files the database file's mode; these may predate that (older drover).
  if (onDisk) for (const companion of [`${file}-wal`, `${file}-shm`]) restrictToOwner(companion);
  applyMigrations(db);
  return db;
}

/**
 * Creates the file (and a missing folder, 0700) before SQLite does, which would use 0644 minus
 * the umask; an existing file is tightened. Modes are set with chmod so the umask cannot widen them.
 */
function createOwnerOnlyFile(file: string): void {
  const dir = path.dirname(file);
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  closeSync(openSync(file, "a", 0o600));
  restrictToOwner(file);
}

function restrictToOwner(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    // Missing: nothing to protect. Another user's file: not ours to change; SQLite decides access.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EPERM") throw error;
  }
}

export function applyMigrations(db: Db): number[] {
  db.exec(
    "create table if not exists schema_migrations (version integer primary key, name text, applied_at integer)",
  );
  const applied: number[] = [];
  const isDone = db.prepare("select 1 from schema_migrations where version = ?");
  for (const migration of migrations) {
    // Checked inside the write transaction: another drover opening the same state dir at the same
    // moment may have applied it while this one waited for the lock.
    const ran = db
      .transaction(() => {
        if (isDone.get(migration.version)) return false;
        db.exec(migration.sql);
        db.prepare("insert into schema_migrations (version, name, applied_at) values (?, ?, ?)").run(
          migration.version,
          migration.name,
          Date.now(),
        );
        return true;
      })
      .immediate();
    if (ran) applied.push(migration.version);
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
