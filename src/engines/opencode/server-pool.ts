import type { OpencodeSettings } from "../../config/schema.ts";
import { DroverError, errorMessage } from "../../core/errors.ts";
import type { DroverEventBody } from "../../core/events.ts";
import type { StrictSandbox } from "../../sandbox/strict-launch.ts";
import type { AgentHome } from "../../security/git-credentials.ts";
import { adoptRecordedServer } from "./adopt-server.ts";
import { attachToServer } from "./attach-server.ts";
import { claimHomeDir } from "./claim-home-dir.ts";
import { engineHomeEnv } from "./engine-home.ts";
import { firstToSucceed } from "./first-to-succeed.ts";
import { HealthChecks } from "./health-checks.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import { pickServer } from "./pick-server.ts";
import { reapedWarning, reapOrphanServers } from "./reap-orphans.ts";
import { recordServerIn } from "./server-registry.ts";
import { startServer } from "./start-server.ts";
import { ServerWaiters } from "./wait-for-server.ts";

export { pickServer };

export interface ServerPoolOptions {
  settings: OpencodeSettings;
  bin: string;
  /** `<stateDir>/engines/opencode`: homes and logs live here. */
  root: string;
  env: NodeJS.ProcessEnv;
  config: Record<string, unknown>;
  report: (event: Extract<DroverEventBody, { type: "engine.server" | "warning" }>) => void;
  /** drover's egress proxy: every server's tools get it as HTTP(S)_PROXY. */
  egressProxyUrl?: string;
  /** Every server in a bubblewrap sandbox (`sandbox: strict`). */
  strict?: StrictSandbox;
  /** `sandbox: none`: the servers get drover's HOME and environment (provider keys excepted). */
  unsandboxed?: boolean;
  /** Server names are `<prefix>-N` (default `opencode`); one prefix per server group. */
  namePrefix?: string;
  /** How many servers (default `settings.servers`). */
  count?: number;
}

/**
 * The warm pool: N `opencode serve` processes drover starts and owns (or the one server it
 * attaches to). Health-checked on a timer; a dead or unhealthy server is replaced.
 */
export class ServerPool {
  readonly #options: ServerPoolOptions;
  readonly #servers: (OpencodeServer | undefined)[] = [];
  #healthTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  readonly #health = new HealthChecks({
    report: (event) => this.#options.report(event),
    replace: (index, server, reason) => this.#replace(index, server, reason),
  });
  readonly #homes = new Map<number, { dir: string; release(): void }>();
  readonly #waiters = new ServerWaiters<OpencodeServer>();
  readonly #passwords = new Map<string, string>();
  readonly #restarts = new Set<Promise<void>>();

  readonly #streamProblem = (message: string) =>
    this.#options.report({ type: "warning", code: "event_stream", message });

  constructor(options: ServerPoolOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { settings } = this.#options;
    if (settings.attach) {
      this.#install(
        0,
        await attachToServer({
          url: settings.attach,
          env: this.#options.env,
          startTimeoutMs: settings.startTimeout,
          onStreamProblem: this.#streamProblem,
        }),
      );
    } else {
      const count = this.#options.count ?? settings.servers;
      const adopted = await Promise.all(Array.from({ length: count }, (_, i) => this.#adopt(i)));
      adopted.forEach((server, i) => {
        if (server) this.#install(i, server);
      });
      // Tools of adopted servers carry their server ids and keep running; the rest is orphaned.
      const keep = new Set(adopted.flatMap((server) => (server?.process ? [server.process.serverId] : [])));
      const reaped = reapOrphanServers(this.#options.root, keep);
      if (reaped.length > 0) this.#options.report(reapedWarning(reaped));
      const missing = adopted.flatMap((server, i) => (server ? [] : [i]));
      await this.#startMissing(missing, adopted.some(Boolean));
    }
    this.#healthTimer = setInterval(() => {
      this.#health
        .round(this.#servers, () => this.#stopping)
        .catch((error: unknown) =>
          this.#options.report({
            type: "warning",
            code: "health_check_failed",
            message: errorMessage(error),
          }),
        );
    }, settings.healthInterval);
    this.#healthTimer.unref();
  }

  /**
   * Starts the servers at `missing`. The pool is ready as soon as one server is (work can begin on
   * it while the others boot); the rest join as they come up, a failure among them is a warning.
   * Only when none can start does start() fail. `stop()` waits for servers still booting.
   */
  async #startMissing(missing: readonly number[], haveOne: boolean): Promise<void> {
    if (missing.length === 0) return;
    const spawns = missing.map((index) => {
      const spawned = this.#spawn(index).then((server) => this.#install(index, server));
      const tracked = spawned.catch(() => undefined);
      this.#restarts.add(tracked);
      void tracked.finally(() => this.#restarts.delete(tracked));
      return spawned;
    });
    const first = haveOne ? undefined : await firstToSucceed(spawns);
    if (first && !first.ok) {
      await this.stop();
      throw first.error;
    }
    for (const spawned of spawns) {
      spawned.catch((error: unknown) => {
        if (this.#stopping) return;
        this.#options.report({ type: "warning", code: "server_start_failed", message: errorMessage(error) });
      });
    }
  }

  /**
   * The healthy server with the fewest running attempts, other than `avoid` unless it is the only
   * one up; undefined while none is.
   */
  pick(avoid?: string): OpencodeServer | undefined {
    return pickServer(this.#servers, avoid);
  }

  /**
   * The HOME and config folder of server `name`, where its git and `gh` look for credentials;
   * undefined under `sandbox: none` (that HOME is yours: drover writes nothing there).
   */
  agentHomeOf(name: string): AgentHome | undefined {
    if (this.#options.unsandboxed) return undefined;
    const index = this.#servers.findIndex((server) => server?.name === name);
    const dir = this.#homes.get(index)?.dir;
    return dir ? engineHomeEnv(dir) : undefined;
  }

  /** The live server with this name, if any. */
  byName(name: string): OpencodeServer | undefined {
    return this.servers.find((server) => server.name === name && !server.lost);
  }

  /** Like pick(), but waits (up to the start timeout) while servers are being restarted. */
  async acquire(avoid?: string): Promise<OpencodeServer> {
    const ready = this.pick(avoid);
    if (ready) return ready;
    if (this.#stopping)
      throw new DroverError("engine_unavailable", "the OpenCode pool is stopping", { retryable: true });
    const waited = await this.#waiters.wait(() => this.pick(avoid), this.#options.settings.startTimeout);
    if (!waited)
      throw new DroverError("engine_unavailable", "no OpenCode server is available", { retryable: true });
    return waited;
  }

  #install(index: number, server: OpencodeServer): void {
    this.#servers[index] = server;
    this.#writeRegistry();
    this.#options.report({
      type: "engine.server",
      server: server.name,
      state: "ready",
      ...(server.process ? { pid: server.process.pid } : {}),
      url: server.url,
    });
    this.#waiters.notify();
  }

  get servers(): readonly OpencodeServer[] {
    return this.#servers.filter((server): server is OpencodeServer => server !== undefined);
  }

  /**
   * Stops every server and whatever they started, then clears their records and releases their
   * homes, so no later start trusts a pid that may be reused by then.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#healthTimer) clearInterval(this.#healthTimer);
    await Promise.allSettled([...this.#restarts]);
    await Promise.all(
      this.servers.map(async (server) => {
        await server.stop();
        if (server.process)
          this.#options.report({ type: "engine.server", server: server.name, state: "stopped" });
      }),
    );
    this.#writeRegistry();
    for (const home of this.#homes.values()) home.release();
    this.#homes.clear();
  }

  async #spawn(index: number): Promise<OpencodeServer> {
    const name = this.#nameOf(index);
    const claim = this.#homes.get(index) ?? claimHomeDir(this.#options.root, name);
    this.#homes.set(index, claim);
    this.#options.report({ type: "engine.server", server: name, state: "starting" });
    const { server, password } = await startServer({
      ...this.#options,
      name,
      homeDir: claim.dir,
      onStreamProblem: this.#streamProblem,
      onProcess: (server) => this.#watchExit(index, server),
    });
    this.#passwords.set(name, password);
    return server;
  }

  /** Each server's record lives in its own home (`server.json`), so drovers sharing a state dir never clobber each other's. */
  #writeRegistry(): void {
    if (this.#options.settings.attach) return;
    for (const [index, home] of this.#homes.entries()) {
      const server = this.#servers[index];
      const live = this.#stopping || server?.lost ? undefined : server;
      recordServerIn(home.dir, live, live ? this.#passwords.get(live.name) : undefined);
    }
  }

  /** Takes over the server an earlier drover ran in this slot's home, if it is alive and answers. */
  async #adopt(index: number): Promise<OpencodeServer | undefined> {
    const claim = this.#homes.get(index) ?? claimHomeDir(this.#options.root, this.#nameOf(index));
    this.#homes.set(index, claim);
    const adopted = await adoptRecordedServer({
      homeDir: claim.dir,
      startTimeoutMs: this.#options.settings.startTimeout,
      onStreamProblem: this.#streamProblem,
    });
    if (!adopted) return undefined;
    const { server, record } = adopted;
    this.#passwords.set(record.name, record.password);
    this.#watchExit(index, server);
    this.#options.report({
      type: "warning",
      code: "server_adopted",
      message: `adopted ${record.name} (pid ${record.pid}) left running by an earlier drover`,
    });
    return server;
  }

  #nameOf(index: number): string {
    return `${this.#options.namePrefix ?? "opencode"}-${index + 1}`;
  }

  #watchExit(index: number, server: OpencodeServer): void {
    const process = server.process;
    if (!process) return;
    void process.exited.then(({ code, signal }) => {
      if (this.#stopping) return;
      this.#options.report({
        type: "engine.server",
        server: server.name,
        state: "exited",
        pid: process.pid,
        detail: `exit code ${code}, signal ${signal}`,
      });
      void this.#replace(index, server, `server exited (code ${code}, signal ${signal})`);
    });
  }

  #replace(index: number, server: OpencodeServer, reason: string): Promise<void> {
    if (this.#stopping || this.#servers[index] !== server) return Promise.resolve();
    this.#servers[index] = undefined;
    server.markLost(reason);
    const restart = (async () => {
      try {
        await server.stop();
        if (this.#stopping) return;
        const fresh = await this.#spawn(index);
        // stop() waits for this restart: a server that comes up after it began is not kept.
        if (this.#stopping) await fresh.stop();
        else this.#install(index, fresh);
      } catch (error) {
        this.#options.report({
          type: "warning",
          code: "engine_restart_failed",
          message: errorMessage(error),
        });
      }
    })();
    this.#restarts.add(restart);
    void restart.finally(() => this.#restarts.delete(restart));
    return restart;
  }
}
