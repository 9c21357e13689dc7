import path from "node:path";
import type { StartedEngines } from "./app-engines.ts";
import type { createTaskWorkspaces } from "./app-workspaces.ts";
import type { LoadedConfig } from "./config/load.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { type DroverEventBody, EventBus } from "./core/events.ts";
import type { Engine } from "./engines/contract.ts";
import { askThroughInbox } from "./inbox/ask-permission.ts";
import { feedInbox } from "./inbox/inbox-feeder.ts";
import { InboxService } from "./inbox/inbox-service.ts";
import { Mailbox } from "./mailbox/mailbox.ts";
import { MemoryService } from "./memory/memory-service.ts";
import type { DroverMetrics } from "./metrics/metrics-registry.ts";
import type { ScriptedModelServer } from "./mock-model/server.ts";
import { RunnerService } from "./runners/runner-service.ts";
import { cachedClaudeOAuth } from "./security/claude-oauth.ts";
import { registerDroverSecrets } from "./security/known-secrets.ts";
import { ensureOwnerOnlyDir } from "./security/owner-only-dir.ts";
import { Store } from "./store/store.ts";
import { readFreeMemoryMb } from "./supervisor/memory-probe.ts";
import type { Supervisor } from "./supervisor/supervisor.ts";

// The engines, the fleet (BullMQ), metrics (prom-client), workspaces (Octokit) and the supervisor
// are imported when an app is created, not with this module: commands that only read the state
// (`status`, `ls`, `schedule list`…) then start in a fraction of the time.
const loadEngines = () => import("./app-engines.ts");

/** drover's state without an engine: enough for memory, mail and runner management. */
export interface DroverState {
  loaded: LoadedConfig;
  bus: EventBus;
  clock: Clock;
  store: Store;
  memory: MemoryService;
  mailbox: Mailbox;
  runners: RunnerService;
  /** The attention inbox: what needs a person. */
  inbox: InboxService;
  close(): Promise<void>;
}

/** Opens the store and the services that need nothing else (no OpenCode servers are started). */
export function openState(options: { loaded: LoadedConfig; clock?: Clock; bus?: EventBus }): DroverState {
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new EventBus();
  ensureOwnerOnlyDir(options.loaded.stateDir);
  const store = new Store({ file: path.join(options.loaded.stateDir, "drover.db"), bus, clock });
  const services = stateServices(store, clock, options.loaded);
  return { loaded: options.loaded, bus, clock, store, ...services, close: async () => store.close() };
}

function stateServices(store: Store, clock: Clock, loaded: LoadedConfig, supervisor?: Supervisor) {
  const memory = new MemoryService(store.memories, clock);
  const mailbox = new Mailbox({
    table: store.mail,
    clock,
    runnerExists: (name) => store.runners.get(name) !== undefined,
    allRunners: () => store.runners.list().map((runner) => runner.name),
  });
  const runners = new RunnerService({
    store,
    ...(supervisor ? { supervisor } : {}),
    memory,
    mailbox,
    clock,
    config: loaded.config,
    stateDir: loaded.stateDir,
  });
  const inbox = new InboxService(store, clock);
  return { memory, mailbox, runners, inbox };
}

/** How often a running drover checks that its database file is still the one it opened. */
const databaseCheckIntervalMs = 2_000;

export interface DroverApp {
  loaded: LoadedConfig;
  bus: EventBus;
  store: Store;
  memory: MemoryService;
  mailbox: Mailbox;
  runners: RunnerService;
  inbox: InboxService;
  engine: Engine;
  supervisor: Supervisor;
  clock: Clock;
  /** Prometheus metrics (`/metrics`), fed from the bus since before the engine started. */
  metrics: DroverMetrics;
  scripted?: ScriptedModelServer;
  /** A token for drover's own GitHub writes (issue comments), with `tokens` configured. */
  githubToken?: ReturnType<typeof createTaskWorkspaces>["githubToken"];
  /** With `queue.redis`: the fleet whose workers run the attempts. */
  fleet?: StartedEngines["fleet"];
  /** Stops the supervisor (cancelling, or handing running work back), then the engine, model and store. */
  close(mode?: "cancel" | "handback"): Promise<void>;
}

export interface CreateAppOptions {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  /** Every model tasks will use: decides whether the scripted model starts and which providers are enabled. */
  models: readonly string[];
  /**
   * Start OpenCode's default server group now (default) or when a task first needs it: a run whose
   * tasks all work in repositories runs on their repositories' servers only.
   */
  defaultServers?: "now" | "on-demand";
  clock?: Clock;
  bus?: EventBus;
  /** Which batches the supervisor runs: `daemon`, or `run:<id>` for a one-shot run (default). */
  owner?: string;
  /** Free memory in MB (default: read from the system). */
  freeMemoryMb?: () => number;
  random?: () => number;
}

/**
 * The one composition root: config → store → scripted model (if used) → engine. Starts the
 * engine's servers; `close()` stops everything it started, in reverse order.
 */
export async function createApp(options: CreateAppOptions): Promise<DroverApp> {
  const { loaded } = options;
  const { config } = loaded;
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new EventBus();
  const [
    { startFleetEngines, startLocalEngines },
    { createTaskWorkspaces },
    { DroverMetrics },
    { Supervisor },
  ] = await Promise.all([
    loadEngines(),
    import("./app-workspaces.ts"),
    import("./metrics/metrics-registry.ts"),
    import("./supervisor/supervisor.ts"),
  ]);
  ensureOwnerOnlyDir(loaded.stateDir);
  const store = new Store({ file: path.join(loaded.stateDir, "drover.db"), bus, clock });
  // A database deleted or replaced under a running drover must stop it, not be written in vain.
  store.watchFile(databaseCheckIntervalMs);
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  // Redaction (events, logs, results, API) knows the exact keys and tokens workers may be given.
  closers.push(registerDroverSecrets(options.env, config.opencode));
  // Before the engine starts, so its servers' first events are counted.
  const metrics = new DroverMetrics({
    bus,
    modelOf: (key) => store.getTask(key)?.model,
    report: (event) => store.reportEvent(event),
    withFleet: config.queue.redis !== undefined,
  });
  closers.push(() => metrics.close());
  let supervisor: Supervisor | undefined;
  const close = async (mode: "cancel" | "handback" = "cancel") => {
    await supervisor?.stop(mode, mode === "handback" ? config.daemon.shutdownGrace : 0);
    for (const closer of closers.reverse()) await closer();
    closers.length = 0;
  };
  try {
    const report = (event: DroverEventBody) => store.reportEvent(event);
    const started = config.queue.redis
      ? await startFleetEngines({ loaded, clock, report, closers })
      : await startLocalEngines({
          loaded,
          env: options.env,
          // Every routing candidate may run: their providers are set up with the rest.
          models: [
            ...options.models,
            ...Object.values(config.routing.tiers).flatMap((tier) => tier.map((c) => c.model)),
          ],
          report,
          closers,
          clock,
          ...(options.defaultServers ? { defaultServers: options.defaultServers } : {}),
        });
    const { engines, scripted } = started;
    const engine = engines.default;
    const inbox = new InboxService(store, clock);
    closers.push(feedInbox(bus, store, inbox));
    const taskWorkspaces = createTaskWorkspaces({ loaded, env: options.env, clock, bus, report });
    closers.push(() => taskWorkspaces.close());
    const { agentTokens } = taskWorkspaces;
    if (agentTokens) for (const name of engines.names()) engines.get(name).useRepoCredentials?.(agentTokens);
    supervisor = new Supervisor({
      askPermission: askThroughInbox(inbox),
      ...(config.routing.preferOAuth ? { claudeOAuth: cachedClaudeOAuth(options.env, clock) } : {}),
      workspaces: taskWorkspaces.workspaces,
      store,
      engine,
      engines,
      clock,
      config,
      freeMemoryMb: options.freeMemoryMb ?? readFreeMemoryMb,
      owner: options.owner ?? `run:${process.pid}:${clock.now()}`,
      ...(options.random ? { random: options.random } : {}),
    });
    const services = { ...stateServices(store, clock, loaded, supervisor), inbox };
    const running = supervisor;
    const dispatcher = started.fleet?.dispatcher;
    metrics.readFrom({
      countTasksByState: () => store.countTasksByState(),
      supervisorStatus: () => running.status(),
      ...(dispatcher ? { fleetHosts: () => dispatcher.hosts() } : {}),
    });
    return {
      loaded,
      bus,
      store,
      ...services,
      engine,
      supervisor,
      clock,
      metrics,
      ...(scripted ? { scripted } : {}),
      ...(started.fleet ? { fleet: started.fleet } : {}),
      ...(taskWorkspaces.githubToken ? { githubToken: taskWorkspaces.githubToken } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
