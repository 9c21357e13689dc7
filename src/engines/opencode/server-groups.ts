import { createHash } from "node:crypto";
import path from "node:path";
import type { SandboxProfile } from "../../core/task-spec.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import type { ServerPool } from "./server-pool.ts";

/**
 * Which warm servers a task may share: tasks share a server only when they have the same sandbox
 * profile and the same repository (its GitHub token, minted per repository, is the same scope).
 */
export interface ServerGroupKey {
  profile: SandboxProfile;
  /** The repository of a task with a worktree; none for tasks that only name a `dir`. */
  repo?: string;
}

/**
 * The server-name prefix of a group: `opencode` for the default group (the config's profile, no
 * repository: the pool `opencode.servers` sizes), else `opencode-<profile>[-<repo>-<hash>]`.
 */
export function groupPrefix(key: ServerGroupKey, defaultProfile: SandboxProfile): string {
  if (key.profile === defaultProfile && !key.repo) return "opencode";
  if (!key.repo) return `opencode-${key.profile}`;
  const base =
    path
      .basename(key.repo)
      .replace(/[^A-Za-z0-9_-]/g, "-")
      .slice(0, 24) || "repo";
  const hash = createHash("sha256").update(path.resolve(key.repo)).digest("hex").slice(0, 6);
  return `opencode-${key.profile}-${base}-${hash}`;
}

interface Group {
  key: ServerGroupKey;
  pool: ServerPool;
  started: Promise<void>;
}

/**
 * The engine's server groups: the default one started with the engine, the others on the first
 * task that needs them (one server each). A group that fails to start is forgotten, so the next
 * task tries again.
 */
export class ServerGroups {
  readonly #groups = new Map<string, Group>();
  readonly #defaultProfile: SandboxProfile;
  readonly #makePool: (key: ServerGroupKey, prefix: string) => ServerPool;
  #stopping = false;

  constructor(options: {
    defaultProfile: SandboxProfile;
    makePool(key: ServerGroupKey, prefix: string): ServerPool;
  }) {
    this.#defaultProfile = options.defaultProfile;
    this.#makePool = options.makePool;
  }

  get defaultKey(): ServerGroupKey {
    return { profile: this.#defaultProfile };
  }

  /** The default group's pool (created, not started, on first use). */
  get defaultPool(): ServerPool {
    return this.#group(this.defaultKey).pool;
  }

  /** The pool of `key`, started (or its start awaited) before it is returned. */
  async poolFor(key: ServerGroupKey): Promise<ServerPool> {
    const group = this.#group(key);
    await group.started;
    return group.pool;
  }

  /** The pool of a group already created (the default one first), started before it is returned. */
  anyPool(): Promise<ServerPool> | undefined {
    const group = this.#groups.get("opencode") ?? [...this.#groups.values()][0];
    return group ? group.started.then(() => group.pool) : undefined;
  }

  /** Starts the default group; the engine is ready when it is. */
  async startDefault(): Promise<void> {
    await this.#group(this.defaultKey).started;
  }

  /** Every server of every started group. */
  get servers(): OpencodeServer[] {
    return [...this.#groups.values()].flatMap((group) => group.pool.servers);
  }

  /** The pool that holds the live server `name`, if any. */
  poolOf(name: string): ServerPool | undefined {
    return [...this.#groups.values()].find((group) => group.pool.byName(name))?.pool;
  }

  /** The groups started so far, with their server names (for status and tests). */
  describe(): { prefix: string; profile: SandboxProfile; repo?: string; servers: string[] }[] {
    return [...this.#groups.entries()].map(([prefix, group]) => ({
      prefix,
      profile: group.key.profile,
      ...(group.key.repo ? { repo: group.key.repo } : {}),
      servers: group.pool.servers.map((server) => server.name),
    }));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#groups.values()].map(async (group) => {
        await group.started.catch(() => undefined);
        await group.pool.stop();
      }),
    );
  }

  #group(key: ServerGroupKey): Group {
    const prefix = groupPrefix(key, this.#defaultProfile);
    const existing = this.#groups.get(prefix);
    if (existing) return existing;
    const pool = this.#makePool(key, prefix);
    const started = this.#stopping
      ? Promise.reject(new Error("the OpenCode engine is stopping"))
      : pool.start();
    const group: Group = { key, pool, started };
    this.#groups.set(prefix, group);
    // A group that could not start is dropped: the next task of that group tries again.
    started.catch(() => {
      if (this.#groups.get(prefix) === group) this.#groups.delete(prefix);
    });
    return group;
  }
}
