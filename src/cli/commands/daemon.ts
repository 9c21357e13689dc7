import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { serve } from "@hono/node-server";
import type { Command } from "commander";
import { createApp } from "../../app.ts";
import { startSchedules } from "../../app-schedules.ts";
import { decomposeModel } from "../../config/decompose-settings.ts";
import { loadConfig } from "../../config/load.ts";
import { badInput, DroverError } from "../../core/errors.ts";
import { decomposeMarkedTasks } from "../../decompose/decompose-marked-tasks.ts";
import { checkRedisReachable, parseRedisUrl } from "../../fleet/redis-target.ts";
import { parseTaskDocument } from "../../intake/read-task-file.ts";
import { eventLogger } from "../../logging/event-log.ts";
import { createLogger } from "../../logging/logger.ts";
import { ensureApiToken } from "../../security/api-token.ts";
import { ensureOwnerOnlyDir } from "../../security/owner-only-dir.ts";
import { createServer } from "../../server/create-server.ts";
import { daemonHostNames } from "../../server/request-guard.ts";
import type { CliContext } from "../context.ts";
import { daemonInfoFile, readDaemonInfo } from "../daemon-client.ts";
import {
  checkPortFree,
  describeBusyPort,
  isProcessAlive,
  startDetachedDaemon,
  stopDaemon,
} from "../daemon-control.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";

interface DaemonFlags {
  port?: string;
  host?: string;
  json?: boolean;
  config?: string;
  stateDir?: string;
  detach?: boolean;
  redis?: string;
}

export function registerDaemonCommand(program: Command, context: CliContext): void {
  program
    .command("daemon")
    .description(
      "Run the supervisor with its HTTP API (127.0.0.1, bearer token) until SIGINT/SIGTERM; `daemon stop` stops it",
    )
    .argument("[action]", "`stop`: stop the daemon of this state dir (it hands running work back)")
    .option("--port <n>", "API port (default 7420; 0 = any free port)")
    .option("--host <addr>", "address to listen on (default 127.0.0.1)")
    .option("--redis <url>", "run attempts on `drover worker` hosts through this Redis (config queue.redis)")
    .option("--detach", "run in the background (pid in daemon.pid, output in daemon.log under the state dir)")
    .option("--json", "print events as JSON lines")
    .option("--config <file>", "config file (default: drover.json of this project)")
    .option("--state-dir <dir>", "state directory (default: .drover of this project)")
    .action(async (action: string | undefined, flags: DaemonFlags) => {
      if (action === undefined) context.setExitCode(await runDaemon(flags, context));
      else if (action === "stop") context.setExitCode(await stopCommand(flags, context));
      else
        throw badInput("bad_input", [
          { source: "drover daemon", path: "", message: `unknown action "${action}" (use: stop)` },
        ]);
    });
}

function loadDaemonConfig(flags: DaemonFlags, context: CliContext) {
  return loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      stateDir: flags.stateDir,
      "daemon.port": flags.port !== undefined ? Number(flags.port) : undefined,
      "daemon.host": flags.host,
      "queue.redis": flags.redis,
    },
  });
}

async function stopCommand(flags: DaemonFlags, context: CliContext): Promise<number> {
  const { stateDir, config } = loadDaemonConfig(flags, context);
  const { pid } = await stopDaemon(stateDir, config.daemon.shutdownGrace + 15_000);
  context.stdout.write(
    flags.json
      ? `${JSON.stringify({ stopped: true, pid, stateDir })}\n`
      : `drover daemon (pid ${pid}) stopped\n`,
  );
  return exitCodes.ok;
}

async function detachCommand(flags: DaemonFlags, context: CliContext, stateDir: string): Promise<number> {
  const args: string[] = [];
  if (flags.port !== undefined) args.push("--port", flags.port);
  if (flags.host !== undefined) args.push("--host", flags.host);
  if (flags.redis !== undefined) args.push("--redis", flags.redis);
  if (flags.config !== undefined) args.push("--config", path.resolve(context.cwd, flags.config));
  args.push("--state-dir", stateDir);
  const started = await startDetachedDaemon(args, stateDir, {
    cwd: context.cwd,
    env: context.env,
    timeoutMs: 60_000,
  });
  context.stdout.write(
    flags.json
      ? `${JSON.stringify({ type: "daemon.detached", ...started })}\n`
      : `drover daemon running in the background: pid ${started.pid}, ${started.url}\n  log: ${started.logFile}\n  stop it with: drover daemon stop\n`,
  );
  return exitCodes.ok;
}

async function runDaemon(flags: DaemonFlags, context: CliContext): Promise<number> {
  const loaded = loadDaemonConfig(flags, context);
  const { config, stateDir } = loaded;
  const running = readDaemonInfo(stateDir);
  if (running && isProcessAlive(running.pid)) {
    throw new DroverError(
      "conflict",
      `a drover daemon is already running for ${stateDir} (pid ${running.pid}, ${running.url}); stop it with \`drover daemon stop\``,
    );
  }
  await checkPortFree(config.daemon.host, config.daemon.port);
  // Before anything starts (or detaches): a fleet daemon without its Redis is bad input, exit 2.
  if (config.queue.redis) await checkRedisReachable(parseRedisUrl(config.queue.redis));
  if (flags.detach) {
    ensureOwnerOnlyDir(stateDir);
    return detachCommand(flags, context, stateDir);
  }
  const token = ensureApiToken(stateDir);
  if (flags.json) context.bus.subscribe(jsonLinesWriter((line) => context.stdout.write(line)));
  // Log lines (pino JSON) on stdout, or on stderr when stdout carries the `--json` events; what
  // stops the daemon (error, fatal) always on stderr. A detached daemon writes both to daemon.log.
  const log = createLogger({
    name: "drover-daemon",
    level: config.logLevel,
    out: flags.json ? context.stderr : context.stdout,
    err: context.stderr,
  });
  context.bus.subscribe(eventLogger(log));
  const models = [config.model, ...config.modelTiers.flat(), decomposeModel(config)];
  const app = await createApp({ loaded, env: context.env, models, bus: context.bus, owner: "daemon" });
  await app.supervisor.start();
  const schedules = startSchedules(app, { baseDir: context.cwd });
  // Known once listening (port 0 picks one); no request arrives before.
  let listeningPort: number | undefined;
  const api = createServer({
    ownHosts: () => (listeningPort === undefined ? [] : daemonHostNames(config.daemon.host, listeningPort)),
    store: app.store,
    supervisor: app.supervisor,
    engine: app.engine,
    bus: app.bus,
    token,
    agents: { runners: app.runners, memory: app.memory, mailbox: app.mailbox },
    inbox: app.inbox,
    schedules: schedules.service,
    maxBodySize: config.daemon.maxBodySize,
    metrics: () => app.metrics.scrape(),
    ...(app.fleet
      ? {
          fleet: async () => ({
            redis: app.fleet?.link.target.display ?? "",
            name: config.queue.name,
            hosts:
              (await app.fleet?.dispatcher.refreshHosts().catch(() => app.fleet?.dispatcher.hosts())) ?? [],
          }),
        }
      : {}),
    parseTasks: (body) =>
      parseTaskDocument(body, "request", {
        model: config.model,
        timeoutMs: config.taskTimeout,
        ...(config.agent ? { agent: config.agent } : {}),
        baseDir: context.cwd,
      }),
    decomposeTasks: (document) =>
      decomposeMarkedTasks({ document, engine: app.engine, config, stateDir, source: "request" }),
  });
  const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>(
    (resolve, reject) => {
      const server = serve(
        { fetch: api.fetch, port: config.daemon.port, hostname: config.daemon.host },
        (info) => {
          listeningPort = info.port;
          resolve({ server, url: `http://${config.daemon.host}:${info.port}` });
        },
      );
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new DroverError("conflict", describeBusyPort(config.daemon.host, config.daemon.port))
            : error,
        ),
      );
    },
  ).catch(async (error: unknown) => {
    await schedules.stop();
    await app.close();
    throw error;
  });
  const infoFile = daemonInfoFile(stateDir);
  writeFileSync(infoFile, JSON.stringify({ pid: process.pid, url, startedAt: Date.now() }), { mode: 0o600 });
  const tokenFile = `${stateDir}/api-token`;
  if (flags.json)
    context.stdout.write(
      `${JSON.stringify({ type: "daemon.listening", url, pid: process.pid, tokenFile })}\n`,
    );
  log.info(
    { url, tokenFile, ...(app.fleet ? { redis: app.fleet.link.target.display } : {}) },
    `drover daemon listening on ${url} (pid ${process.pid}); token in ${tokenFile}${
      app.fleet ? `; attempts run on workers: drover worker --redis ${app.fleet.link.target.display}` : ""
    }`,
  );

  const stopped = await new Promise<{ signal: NodeJS.Signals } | { failure: DroverError }>((resolve) => {
    const removeSignals = context.onSignals((signal) => {
      removeSignals();
      resolve({ signal });
    });
    const failure = app.store.failure;
    if (failure) resolve({ failure });
    else app.store.onFailure((error) => resolve({ failure: error }));
  });
  if ("signal" in stopped)
    log.info({ signal: stopped.signal }, `${stopped.signal}: handing running work back`);
  else
    log.fatal(
      { err: stopped.failure },
      `${stopped.failure.message}; stopping: running sessions are kept and resume after a restart`,
    );
  server.close();
  await schedules.stop();
  await app.close("handback");
  if (existsSync(infoFile) && readDaemonInfo(stateDir)?.pid === process.pid)
    rmSync(infoFile, { force: true });
  const pidFile = path.join(stateDir, "daemon.pid");
  if (existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() === String(process.pid))
    rmSync(pidFile, { force: true });
  log.info("drover daemon stopped");
  return "signal" in stopped ? exitCodes.ok : exitCodes.notAllSucceeded;
}
