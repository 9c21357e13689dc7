import path from "node:path";
import type { OpencodeSettings } from "../../config/schema.ts";
import type { WatchdogSettings } from "../../config/watchdog-settings.ts";
import { type Clock, systemClock } from "../../core/clock.ts";
import { errorMessage, type InputIssue } from "../../core/errors.ts";
import { zeroTokens } from "../../core/liveness.ts";
import type { AttemptFailure } from "../../core/outcome.ts";
import type { SandboxProfile } from "../../core/task-spec.ts";
import { strictSandboxAvailability } from "../../sandbox/strict-availability.ts";
import type { StrictSandbox } from "../../sandbox/strict-launch.ts";
import type { AttemptRequest, AttemptResult, Engine, RepoCredentials } from "../contract.ts";
import { type AgentUse, checkAgents, checkModels, type ModelUse } from "./check-models.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import { ServerGroups } from "./server-groups.ts";
import { ServerPool, type ServerPoolOptions } from "./server-pool.ts";
import { runSessionAttempt } from "./session-attempt.ts";

export interface OpencodeEngineOptions {
  settings: OpencodeSettings;
  bin: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** The OpenCode config every server gets (see generateOpencodeConfig). */
  config: Record<string, unknown>;
  /** A free local model (drover's scripted model) to warm each server's first turn with. */
  warmModel?: string;
  report: ServerPoolOptions["report"];
  /** The watchdog's budgets for every attempt. */
  watchdog: WatchdogSettings;
  clock?: Clock;
  /** drover's egress proxy (`http://127.0.0.1:PORT`): the servers' tools are pointed at it. */
  egressProxyUrl?: string;
  /** The profile of tasks that name none (config `sandbox`; default `home`). */
  sandbox?: SandboxProfile;
  /** How `strict` servers are sandboxed (what they may write, their way out). */
  strict?: StrictSandbox;
}

/** The OpenCode engine: attempts run as sessions on a warm pool of `opencode serve` processes. */
export class OpencodeServerEngine implements Engine {
  readonly name = "opencode-server";
  /**
   * A session on a warm `opencode serve` adds ~7-25 MB to the server (20 sessions: +450 MB over idle;
   * 100 sessions: +700 MB, docs/benchmarks.md); 40 MB leaves room for the tools the agent runs.
   */
  readonly ramPerAttemptMb = 40;
  readonly #options: OpencodeEngineOptions;
  readonly #groups: ServerGroups;
  #repoCredentials: RepoCredentials | undefined;
  readonly #warmed = new Set<string>();
  /** Per task (`batchId|taskId`): the server the watchdog last restarted it away from. */
  readonly #leftBehind = new Map<string, string>();
  /** Per running attempt: its task and the server it runs on. */
  readonly #running = new Map<string, { server: string; batchId: string; taskId: string }>();

  constructor(options: OpencodeEngineOptions) {
    this.#options = options;
    const defaultProfile = options.sandbox ?? "home";
    this.#groups = new ServerGroups({
      defaultProfile,
      makePool: (key, prefix) =>
        new ServerPool({
          settings: options.settings,
          bin: options.bin,
          root: path.join(options.stateDir, "engines", "opencode"),
          env: options.env,
          config: options.config,
          report: options.report,
          namePrefix: prefix,
          // The default group is the pool `opencode.servers` sizes; the others start with one server.
          ...(prefix === "opencode" ? {} : { count: 1 }),
          ...(options.egressProxyUrl ? { egressProxyUrl: options.egressProxyUrl } : {}),
          ...(key.profile === "strict" && options.strict ? { strict: options.strict } : {}),
          ...(key.profile === "none" ? { unsandboxed: true } : {}),
        }),
    });
  }

  /** The default group's pool (tasks of the config's profile without a repository). */
  get pool(): ServerPool {
    return this.#groups.defaultPool;
  }

  /** The server groups started so far. */
  get groups(): ServerGroups {
    return this.#groups;
  }

  start(): Promise<void> {
    return this.#groups.startDefault();
  }

  /**
   * Models are checked on a server already up (every group has the same OpenCode config), else on
   * the group of the first task asking: a batch of repository tasks never starts the default group.
   */
  async checkModels(uses: readonly ModelUse[]): Promise<InputIssue[]> {
    const providers = (this.#options.config.provider ?? {}) as Record<string, unknown>;
    return checkModels(await this.#checkingServer(uses[0]), uses, providers);
  }

  async checkAgents(uses: readonly AgentUse[]): Promise<InputIssue[]> {
    return checkAgents(await this.#checkingServer(), uses);
  }

  async #checkingServer(use?: ModelUse): Promise<OpencodeServer> {
    const started = this.#groups.anyPool();
    if (started) return (await started).acquire();
    const profile = use?.sandbox ?? this.#groups.defaultKey.profile;
    if (profile === "strict" && !strictSandboxAvailability(this.#options.env).ok) return this.pool.acquire();
    const pool = await this.#groups.poolFor({ profile, ...(use?.repo ? { repo: use.repo } : {}) });
    return pool.acquire();
  }

  /**
   * Runs an attempt on the server its session lives on, else on the least-loaded one; an attempt
   * the watchdog restarted (stuck before its model request) starts again on another server when one
   * is up.
   */
  /** A `strict` task where bubblewrap cannot be had is refused before its batch is accepted. */
  unavailable(task: { sandbox?: SandboxProfile }): { field: "sandbox"; message: string } | undefined {
    const profile = task.sandbox ?? this.#groups.defaultKey.profile;
    if (profile !== "strict") return undefined;
    const availability = strictSandboxAvailability(this.#options.env);
    return availability.ok
      ? undefined
      : { field: "sandbox", message: `sandbox "strict" cannot be had: ${availability.reason}` };
  }

  useRepoCredentials(credentials: RepoCredentials): void {
    this.#repoCredentials = credentials;
  }

  async runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    let release: (() => void) | undefined;
    const task = `${request.batchId ?? ""}|${request.taskId}`;
    const avoid = this.#leftBehind.get(task);
    this.#leftBehind.delete(task);
    try {
      const pool = await this.#poolFor(request);
      if ("failure" in pool) return failedAttempt(pool.failure);
      const server = (request.server && pool.byName(request.server)) || (await pool.acquire(avoid));
      const unassign = server.assign();
      this.#running.set(request.attemptId, {
        server: server.name,
        batchId: request.batchId ?? "",
        taskId: request.taskId,
      });
      release = () => {
        unassign();
        this.#running.delete(request.attemptId);
      };
      await this.#provideRepoCredentials(request, pool, server.name);
      return await runSessionAttempt(server, request, this.#options.settings, {
        watchdog: this.#options.watchdog,
        clock: this.#options.clock ?? systemClock,
        onRestart: () => {
          this.#leftBehind.set(task, server.name);
          const other = pool.pick(server.name);
          return other && other !== server
            ? `, away from ${server.name}`
            : ` on ${server.name}, the only server up`;
        },
      });
    } catch (error) {
      return failedAttempt({ type: "engine_unavailable", message: errorMessage(error), retryable: true });
    } finally {
      release?.();
    }
  }

  /** A task with a repository: its server's git and `gh` get the repository's token. */
  async #provideRepoCredentials(request: AttemptRequest, pool: ServerPool, server: string): Promise<void> {
    const home = request.repo ? pool.agentHomeOf(server) : undefined;
    if (!this.#repoCredentials || !home || !request.repo) return;
    const task = { batchId: request.batchId ?? "", taskId: request.taskId, repo: request.repo };
    const problem = await this.#repoCredentials.provide(task, home);
    if (problem)
      this.#options.report({
        type: "warning",
        code: "repo_credentials",
        message: `${request.taskId}: its agent gets no token for ${request.repo}: ${problem}`,
      });
  }

  /**
   * The pool of the request's group (profile, repository), started on first use. A `strict` task
   * where bubblewrap cannot be had is refused for good, never run weaker.
   */
  async #poolFor(request: AttemptRequest): Promise<ServerPool | { failure: AttemptFailure }> {
    const profile = request.sandbox ?? this.#groups.defaultKey.profile;
    if (profile === "strict") {
      const availability = strictSandboxAvailability(this.#options.env);
      if (!availability.ok)
        return {
          failure: {
            type: "engine_unavailable",
            message: `sandbox "strict" cannot be had: ${availability.reason}`,
            retryable: false,
          },
        };
    }
    return this.#groups.poolFor({ profile, ...(request.repo ? { repo: request.repo } : {}) });
  }

  /**
   * The task running on `server` (on any server when not given) if it is the only one there: who
   * a connection through the egress proxy came from. Undefined when none or several run.
   */
  soleTaskOn(server?: string): { batchId: string; taskId: string } | undefined {
    const tasks = [...this.#running.values()].filter((entry) => !server || entry.server === server);
    const only = tasks.length === 1 ? tasks[0] : undefined;
    return only?.batchId ? { batchId: only.batchId, taskId: only.taskId } : undefined;
  }

  /** Boots each server's project instance for these directories (plugins, config) ahead of the first session. */
  async prepare(dirs: readonly string[]): Promise<void> {
    const unique = [...new Set(dirs)];
    if (unique.length === 0) return;
    await Promise.all(
      this.pool.servers.flatMap((server) => unique.map((directory) => this.#warm(server, directory))),
    );
  }

  /**
   * A server's first turn in a directory pays ~1.4 s of one-time setup (measured). With a free local
   * model available, drover pays it up front with one throwaway turn; otherwise it only boots the
   * directory's instance.
   */
  async #warm(server: OpencodeServer, directory: string): Promise<void> {
    if (this.#warmed.has(`${server.name}|${directory}`)) return;
    this.#warmed.add(`${server.name}|${directory}`);
    try {
      if (!this.#options.warmModel) {
        await server.client.path.get({ directory });
        return;
      }
      const [providerID, modelID] = this.#options.warmModel.split("/") as [string, string];
      const session = await server.client.session.create({ directory, title: "drover warm-up" });
      if (!session.data) return;
      await server.client.session.prompt({
        sessionID: session.data.id,
        model: { providerID, modelID },
        parts: [{ type: "text", text: "[[reply warm]]" }],
      });
      await server.client.session.delete({ sessionID: session.data.id });
    } catch {
      // Warming is an optimisation; a failure here shows up, if it matters, in the real attempt.
    }
  }

  async hasSession(sessionId: string, server?: string): Promise<boolean> {
    const candidates = server ? [this.#groups.poolOf(server)?.byName(server)] : this.#groups.servers;
    for (const candidate of candidates) {
      if (!candidate || candidate.lost) continue;
      const found = await candidate.client.session.get({ sessionID: sessionId }).catch(() => undefined);
      if (found?.data) return true;
    }
    return false;
  }

  stop(): Promise<void> {
    return this.#groups.stop();
  }
}

function failedAttempt(failure: AttemptFailure): AttemptResult {
  return { status: "failed", failure, tokens: zeroTokens(), cost: 0, finalText: "", filesChanged: [] };
}
