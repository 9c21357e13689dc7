import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { startEgressForServers } from "./app-egress.ts";
import { startGatewayForServers } from "./app-gateway.ts";
import { strictSandboxOf } from "./app-sandbox.ts";
import type { LoadedConfig } from "./config/load.ts";
import { scriptedModel } from "./config/schema.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import type { DroverEventBody } from "./core/events.ts";
import { EngineName } from "./core/task-spec.ts";
import { droverVersion } from "./core/version.ts";
import { claudeDialect } from "./engines/claude/claude-dialect.ts";
import { CliAgentEngine } from "./engines/cli/cli-agent-engine.ts";
import { codexDialect } from "./engines/codex/codex-dialect.ts";
import type { Engine } from "./engines/contract.ts";
import { opencodeVersion } from "./engines/opencode/engine-home.ts";
import { opencodeCliDialect } from "./engines/opencode/opencode-cli-dialect.ts";
import { generateOpencodeConfig } from "./engines/opencode/opencode-config.ts";
import { OpencodeServerEngine } from "./engines/opencode/opencode-engine.ts";
import { resolveOpencodeBin } from "./engines/opencode/resolve-opencode-bin.ts";
import { EngineRegistry } from "./engines/registry.ts";
import { ShellEngine } from "./engines/shell/shell-engine.ts";
import { FleetDispatcher } from "./fleet/fleet-dispatcher.ts";
import { FleetEngine } from "./fleet/fleet-engine.ts";
import { FleetLink } from "./fleet/fleet-link.ts";
import { checkRedisReachable, parseRedisUrl } from "./fleet/redis-target.ts";
import type { ModelGateway } from "./gateway/model-gateway.ts";
import { type ScriptedModelServer, startScriptedModel } from "./mock-model/server.ts";
import { cachedClaudeOAuth } from "./security/claude-oauth.ts";

// The engines part of the composition root (app.ts): OpenCode's warm pool on this machine, or —
// with `queue.redis` — the fleet, whose attempts run on `drover worker` hosts.

/** Versions every host of a fleet must share. */
export const fleetVersions = { droverVersion, opencodeVersion };

type Closer = () => Promise<void> | void;

export interface StartedEngines {
  engines: EngineRegistry;
  scripted?: ScriptedModelServer;
  /** The model gateway between the servers drover starts and the providers (none when attached). */
  gateway?: ModelGateway;
  fleet?: { link: FleetLink; dispatcher: FleetDispatcher };
}

/** Starts the scripted model (unless attached) and OpenCode's pool; pushes how to stop them on `closers`. */
export async function startLocalEngines(options: {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  models: readonly string[];
  report(event: Extract<DroverEventBody, { type: "engine.server" | "network.decision" | "warning" }>): void;
  closers: Closer[];
  clock?: Clock;
  /** Start OpenCode's default server group now (default), or on the first task that needs it. */
  defaultServers?: "now" | "on-demand";
}): Promise<StartedEngines> {
  const { loaded, closers } = options;
  const { config } = loaded;
  // The scripted model always runs beside servers drover owns: tasks may use it, and it warms each
  // server's first turn for free (see OpencodeServerEngine.prepare).
  let scripted: ScriptedModelServer | undefined;
  if (!config.opencode.attach) {
    scripted = await startScriptedModelOnStablePort(loaded.stateDir);
    closers.push(() => scripted?.close());
  }
  const generated = generateOpencodeConfig({
    settings: config.opencode,
    model: config.model,
    models: options.models,
    ...(scripted ? { scriptedBaseURL: scripted.baseURL } : {}),
  });
  // Servers drover starts reach every provider through the gateway, which alone holds the keys.
  const behind = config.opencode.attach
    ? undefined
    : await startGatewayForServers({
        loaded,
        env: options.env,
        config: generated,
        report: options.report,
        closers,
      });
  // Their tools' traffic goes through the egress proxy, classified by network tier.
  // A decision names its task when only one runs on the server it came from (the shared port:
  // on any server).
  let engineForAttribution: OpencodeServerEngine | undefined;
  const egress = config.opencode.attach
    ? undefined
    : await startEgressForServers({
        loaded,
        report: options.report,
        closers,
        attribute: (label) => engineForAttribution?.soleTaskOn(label === "servers" ? undefined : label),
      });
  const engine = new OpencodeServerEngine({
    settings: config.opencode,
    bin: config.opencode.attach ? "" : resolveOpencodeBin(config.opencode.bin),
    stateDir: loaded.stateDir,
    env: behind?.env ?? options.env,
    config: behind?.config ?? generated,
    ...(scripted ? { warmModel: scriptedModel } : {}),
    report: options.report,
    watchdog: config.watchdog,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(egress ? { egressProxyUrl: egress.url } : {}),
    // The config's profile for tasks that name none; any task may ask for `strict`.
    sandbox: config.sandbox,
    strict: strictSandboxOf(loaded, egress),
  });
  engineForAttribution = engine;
  closers.push(() => engine.stop());
  if (options.defaultServers !== "on-demand") await engine.start();
  const shell = new ShellEngine({
    env: behind?.env ?? options.env,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // Claude Code and Codex: one process per attempt, pointed at the scripted model or the gateway.
  const cliOptions = {
    stateDir: loaded.stateDir,
    env: behind?.env ?? options.env,
    ...(scripted ? { scriptedUrl: scripted.url } : {}),
    ...(behind
      ? {
          gatewayURLFor: (provider: string) =>
            behind.providers.includes(provider) ? behind.gateway.baseURLFor(provider) : undefined,
        }
      : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const opencodeCli = new CliAgentEngine(opencodeCliDialect(behind?.config ?? generated), {
    ...cliOptions,
    ...(config.opencode.attach ? {} : { bin: resolveOpencodeBin(config.opencode.bin) }),
  });
  // With a Claude subscription on this machine (and routing.preferOAuth), Claude Code signs in with it.
  const claude = new CliAgentEngine(claudeDialect, {
    ...cliOptions,
    ...(config.routing.preferOAuth
      ? { claudeOAuth: cachedClaudeOAuth(options.env, options.clock ?? systemClock) }
      : {}),
  });
  const codex = new CliAgentEngine(codexDialect, cliOptions);
  closers.push(() => opencodeCli.stop());
  closers.push(() => claude.stop());
  closers.push(() => codex.stop());
  const engines = new EngineRegistry(
    new Map<EngineName, Engine>([
      ["opencode", engine],
      ["opencode-cli", opencodeCli],
      ["claude", claude],
      ["codex", codex],
      ["shell", shell],
    ]),
    "opencode",
  );
  return { engines, ...(scripted ? { scripted } : {}), ...(behind ? { gateway: behind.gateway } : {}) };
}

/**
 * With `queue.redis`: checks Redis answers (else `queue_unreachable`, naming the URL), connects
 * the fleet and returns engines that dispatch to workers. Nothing runs on this machine.
 */
export async function startFleetEngines(options: {
  loaded: LoadedConfig;
  clock: Clock;
  report(event: DroverEventBody): void;
  closers: Closer[];
}): Promise<StartedEngines> {
  const link = await connectFleet(options.loaded, (error) =>
    options.report({ type: "warning", code: "fleet", message: errorText(error) }),
  );
  options.closers.push(() => link.close());
  const dispatcher = new FleetDispatcher({
    link,
    clock: options.clock,
    versions: fleetVersions,
    report: options.report,
  });
  options.closers.push(() => dispatcher.stop());
  await dispatcher.start();
  // Every engine's attempts go to the workers, which run them on their own engine of that name.
  return {
    engines: new EngineRegistry(
      new Map(EngineName.options.map((name) => [name, new FleetEngine(name, dispatcher)])),
      "opencode",
    ),
    fleet: { link, dispatcher },
  };
}

/** Parses `queue.redis`, checks it answers, and opens the fleet's link. */
export async function connectFleet(
  loaded: LoadedConfig,
  onWarning: (error: unknown) => void,
): Promise<FleetLink> {
  const url = loaded.config.queue.redis;
  if (!url) throw new Error("connectFleet needs queue.redis");
  const target = parseRedisUrl(url);
  await checkRedisReachable(target);
  return new FleetLink(target, loaded.config.queue.name, onWarning);
}

/** A worker's id: its host name and a hash of its state dir, stable across restarts of that worker. */
export function workerIdFor(host: string, stateDir: string): string {
  const safeHost = host.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 40) || "host";
  const hash = createHash("sha256").update(path.resolve(stateDir)).digest("hex").slice(0, 8);
  return `${safeHost}-${hash}`;
}

export const defaultHostName = () => hostname();

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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
