import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "./config/load.ts";
import { scriptedModel } from "./config/schema.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { EventBus } from "./core/events.ts";
import type { Engine } from "./engines/contract.ts";
import { generateOpencodeConfig } from "./engines/opencode/opencode-config.ts";
import { OpencodeServerEngine } from "./engines/opencode/opencode-engine.ts";
import { resolveOpencodeBin } from "./engines/opencode/resolve-opencode-bin.ts";
import { EngineRegistry } from "./engines/registry.ts";
import { Mailbox } from "./mailbox/mailbox.ts";
import { MemoryService } from "./memory/memory-service.ts";
import { type ScriptedModelServer, startScriptedModel } from "./mock-model/server.ts";
import { RunnerService } from "./runners/runner-service.ts";
import { ensureOwnerOnlyDir } from "./security/owner-only-dir.ts";
import { Store } from "./store/store.ts";
import { readFreeMemoryMb } from "./supervisor/memory-probe.ts";
import { Supervisor } from "./supervisor/supervisor.ts";

/** drover's state without an engine: enough for memory, mail and runner management. */
export interface DroverState {
  loaded: LoadedConfig;
  bus: EventBus;
  clock: Clock;
  store: Store;
  memory: MemoryService;
  mailbox: Mailbox;
  runners: RunnerService;
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
  return { memory, mailbox, runners };
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
  engine: Engine;
  supervisor: Supervisor;
  clock: Clock;
  scripted?: ScriptedModelServer;
  /** Stops the supervisor (cancelling, or handing running work back), then the engine, model and store. */
  close(mode?: "cancel" | "handback"): Promise<void>;
}

export interface CreateAppOptions {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  /** Every model tasks will use: decides whether the scripted model starts and which providers are enabled. */
  models: readonly string[];
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
  ensureOwnerOnlyDir(loaded.stateDir);
  const store = new Store({ file: path.join(loaded.stateDir, "drover.db"), bus, clock });
  // A database deleted or replaced under a running drover must stop it, not be written in vain.
  store.watchFile(databaseCheckIntervalMs);
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  let supervisor: Supervisor | undefined;
  const close = async (mode: "cancel" | "handback" = "cancel") => {
    await supervisor?.stop(mode, mode === "handback" ? config.daemon.shutdownGrace : 0);
    for (const closer of closers.reverse()) await closer();
    closers.length = 0;
  };
  try {
    // The scripted model always runs beside servers drover owns: tasks may use it, and it warms each
    // server's first turn for free (see OpencodeServerEngine.prepare).
    let scripted: ScriptedModelServer | undefined;
    if (!config.opencode.attach) {
      scripted = await startScriptedModelOnStablePort(loaded.stateDir);
      closers.push(() => scripted?.close());
    }
    const opencodeConfig = generateOpencodeConfig({
      settings: config.opencode,
      model: config.model,
      models: options.models,
      ...(scripted ? { scriptedBaseURL: scripted.baseURL } : {}),
    });
    const engine = new OpencodeServerEngine({
      settings: config.opencode,
      bin: config.opencode.attach ? "" : resolveOpencodeBin(config.opencode.bin),
      stateDir: loaded.stateDir,
      env: options.env,
      config: opencodeConfig,
      ...(scripted ? { warmModel: scriptedModel } : {}),
      report: (event) => store.reportEvent(event),
    });
    closers.push(() => engine.stop());
    await engine.start();
    const engines = new EngineRegistry(new Map([["opencode", engine]]), "opencode");
    supervisor = new Supervisor({
      store,
      engine,
      engines,
      clock,
      config,
      freeMemoryMb: options.freeMemoryMb ?? readFreeMemoryMb,
      owner: options.owner ?? `run:${process.pid}:${clock.now()}`,
      ...(options.random ? { random: options.random } : {}),
    });
    const services = stateServices(store, clock, loaded, supervisor);
    return {
      loaded,
      bus,
      store,
      ...services,
      engine,
      supervisor,
      clock,
      ...(scripted ? { scripted } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts the scripted model on the port it had last time, if free: servers adopted after a crash
 * keep the model URL they were configured with, so their retries reach the new model.
 */
async function startScriptedModelOnStablePort(stateDir: string): Promise<ScriptedModelServer> {
  const portFile = path.join(stateDir, "scripted-model.port");
  const logFile = path.join(stateDir, "scripted-model.jsonl");
  mkdirSync(stateDir, { recursive: true });
  let previous = 0;
  try {
    previous = Number(readFileSync(portFile, "utf8").trim()) || 0;
  } catch {
    // first start
  }
  let server: ScriptedModelServer;
  try {
    server = await startScriptedModel({ port: previous, logFile });
  } catch {
    server = await startScriptedModel({ logFile });
  }
  writeFileSync(portFile, String(server.port));
  return server;
}
