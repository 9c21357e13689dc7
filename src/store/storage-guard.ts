import { statSync } from "node:fs";
import path from "node:path";
import { DroverError, errorMessage } from "../core/errors.ts";

/** How hard the store tries before a write counts as impossible. */
export interface StorageGuardSettings {
  /** SQLite's own wait for a lock held by another connection, per try (ms). */
  busyTimeoutMs: number;
  /** Tries of one write while the database stays locked (each waits up to `busyTimeoutMs`). */
  busyTries: number;
}

export const defaultStorageGuardSettings: StorageGuardSettings = { busyTimeoutMs: 5_000, busyTries: 4 };

export type StorageFailureListener = (error: DroverError) => void;

/**
 * Stands between the store and SQLite's failures. Lock contention (another process writing) is
 * waited out and retried a bounded number of times; a write that cannot succeed (full disk, I/O
 * error, read-only or replaced file, a lock held past the budget) marks storage as failed once:
 * listeners hear it (the supervisor stops launching and hands work back) and every later write
 * fails fast with the same error, which names the state dir and the cause.
 */
export class StorageGuard {
  readonly #file: string;
  readonly #settings: StorageGuardSettings;
  readonly #listeners = new Set<StorageFailureListener>();
  #identity: { dev: number; ino: number } | undefined;
  #failure: DroverError | undefined;

  constructor(file: string, settings: StorageGuardSettings = defaultStorageGuardSettings) {
    this.#file = file;
    this.#settings = settings;
  }

  /** The failure storage has hit, if any. */
  get failure(): DroverError | undefined {
    return this.#failure;
  }

  onFailure(listener: StorageFailureListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Remembers which file the database is, to notice later that it was deleted or replaced. */
  rememberFile(): void {
    if (this.#file === ":memory:") return;
    const stat = statSync(this.#file);
    this.#identity = { dev: stat.dev, ino: stat.ino };
  }

  /** Runs one write: retries while the database is locked, turns storage errors into the one failure. */
  write<T>(write: () => T): T {
    if (this.#failure) throw this.#failure;
    for (let tries = 1; ; tries++) {
      try {
        return write();
      } catch (error) {
        const code = sqliteCode(error);
        if (code === undefined || !isStorageCode(code)) throw error;
        const locked = code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
        if (locked && tries < this.#settings.busyTries) continue;
        const seconds = Math.round((this.#settings.busyTimeoutMs * tries) / 100) / 10;
        throw this.fail(
          locked
            ? `the database is locked by another process (waited ${seconds}s): ${errorMessage(error)}`
            : `${errorMessage(error)} (${code})`,
          error,
        );
      }
    }
  }

  /** Fails storage if the database file was deleted or replaced since it was opened. Returns whether it is intact. */
  checkFile(): boolean {
    if (this.#failure) return false;
    if (!this.#identity) return true;
    let current: { dev: number; ino: number } | undefined;
    try {
      const stat = statSync(this.#file);
      current = { dev: stat.dev, ino: stat.ino };
    } catch {
      current = undefined;
    }
    if (current && current.dev === this.#identity.dev && current.ino === this.#identity.ino) return true;
    this.fail(
      current
        ? `${this.#file} was replaced by another file while drover was running; what drover wrote since is not in it`
        : `${this.#file} was deleted while drover was running; nothing more can be recorded`,
    );
    return false;
  }

  /** Marks storage as failed (once) and tells the listeners; returns the error to throw. */
  fail(cause: string, original?: unknown): DroverError {
    if (this.#failure) return this.#failure;
    const stateDir = path.dirname(this.#file);
    this.#failure = new DroverError(
      "storage_failed",
      `cannot write drover's state in ${stateDir}: ${cause}`,
      original !== undefined ? { cause: original } : {},
    );
    for (const listener of this.#listeners) {
      try {
        listener(this.#failure);
      } catch {
        // A listener's own trouble must not hide the storage failure from the others.
      }
    }
    return this.#failure;
  }
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** SQLite result codes that say the storage (not drover's SQL) is at fault. */
const storageCodePrefixes = [
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_READONLY",
  "SQLITE_CORRUPT",
  "SQLITE_CANTOPEN",
  "SQLITE_NOTADB",
  "SQLITE_NOMEM",
  "SQLITE_PERM",
  "SQLITE_PROTOCOL",
];

function isStorageCode(code: string): boolean {
  return storageCodePrefixes.some((prefix) => code.startsWith(prefix));
}
