import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { serve } from "@hono/node-server";
import { createApp } from "../../app.ts";
import { startChat } from "../../app-chat.ts";
import { startGithubHook, submitHookTask } from "../../app-hooks.ts";
import { notifyChannels } from "../../app-notify.ts";
import { startSchedules } from "../../app-schedules.ts";
import { decomposeModel } from "../../config/decompose-settings.ts";
import { DroverError } from "../../core/errors.ts";
import { decomposeMarkedTasks } from "../../decompose/decompose-marked-tasks.ts";
import { checkRedisReachable, parseRedisUrl } from "../../fleet/redis-target.ts";
import { parseTaskDocument } from "../../intake/read-task-file.ts";
import { eventLogger } from "../../logging/event-log.ts";
import { createLogger } from "../../logging/logger.ts";
import { startNotifier } from "../../notify/notifier.ts";
import { ensureApiToken } from "../../security/api-token.ts";
import { ensureOwnerOnlyDir } from "../../security/owner-only-dir.ts";
import { createServer } from "../../server/create-server.ts";
import { daemonHostNames } from "../../server/request-guard.ts";
import type { CliContext } from "../context.ts";
import { daemonInfoFile, readDaemonInfo } from "../daemon-client.ts";
import { checkPortFree, describeBusyPort, isProcessAlive } from "../daemon-control.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";
import { type DaemonFlags, detachCommand, loadDaemonConfig } from "./daemon.ts";

// `drover daemon` itself (the API server, logger, fleet link…), loaded only when a daemon starts.

export async function runDaemon(flags: DaemonFlags, context: CliContext): Promise<number> {
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
  const parseTasks = (body: unknown) =>
    parseTaskDocument(body, "request", {
      model: config.model,
      timeoutMs: config.taskTimeout,
      tiers: config.routing.tiers,
      ...(config.agent ? { agent: config.agent } : {}),
      baseDir: context.cwd,
    });
  const githubHook = startGithubHook(app, context.env, parseTasks);
  const chat = startChat(app, context.env, parseTasks);
  const stopNotifier = startNotifier({
    notify: config.notify,
    bus: app.bus,
    channels: notifyChannels(config, context.env),
    warn: (message) => app.store.reportEvent({ type: "warning", code: "notify", message }),
  });
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
    budget: config.budget,
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
    parseTasks,
    githubHook,
    slack: chat.slack,
    discord: chat.discord,
    inboundHooks: {
      hooks: config.webhooks,
      secretOf: (hook) => context.env[hook.secretEnv] || undefined,
      submit: submitHookTask(app, parseTasks),
    },
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
  githubHook.close();
  await chat.close();
  stopNotifier();
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
