import { existsSync, rmSync, writeFileSync } from "node:fs";
import { serve } from "@hono/node-server";
import type { Command } from "commander";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config/load.ts";
import { DroverError } from "../../core/errors.ts";
import { parseTaskDocument } from "../../intake/read-task-file.ts";
import { ensureApiToken } from "../../security/api-token.ts";
import { createServer } from "../../server/create-server.ts";
import type { CliContext } from "../context.ts";
import { daemonInfoFile, readDaemonInfo } from "../daemon-client.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";

export function registerDaemonCommand(program: Command, context: CliContext): void {
  program
    .command("daemon")
    .description("Run the supervisor with its HTTP API (127.0.0.1, bearer token) until SIGINT/SIGTERM")
    .option("--port <n>", "API port (default 7420; 0 = any free port)")
    .option("--host <addr>", "address to listen on (default 127.0.0.1)")
    .option("--json", "print events as JSON lines")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "state directory (default: .drover)")
    .action(
      async (flags: { port?: string; host?: string; json?: boolean; config?: string; stateDir?: string }) => {
        context.setExitCode(await runDaemon(flags, context));
      },
    );
}

async function runDaemon(
  flags: { port?: string; host?: string; json?: boolean; config?: string; stateDir?: string },
  context: CliContext,
): Promise<number> {
  const loaded = loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      stateDir: flags.stateDir,
      "daemon.port": flags.port !== undefined ? Number(flags.port) : undefined,
      "daemon.host": flags.host,
    },
  });
  const { config, stateDir } = loaded;
  const running = readDaemonInfo(stateDir);
  if (running && isAlive(running.pid)) {
    throw new DroverError(
      "conflict",
      `a drover daemon is already running for ${stateDir} (pid ${running.pid}, ${running.url})`,
    );
  }
  const token = ensureApiToken(stateDir);
  if (flags.json) context.bus.subscribe(jsonLinesWriter((line) => context.stdout.write(line)));
  const models = [config.model, ...config.modelTiers.flat()];
  const app = await createApp({ loaded, env: context.env, models, bus: context.bus, owner: "daemon" });
  await app.supervisor.start();
  const api = createServer({
    store: app.store,
    supervisor: app.supervisor,
    engine: app.engine,
    bus: app.bus,
    token,
    agents: { runners: app.runners, memory: app.memory, mailbox: app.mailbox },
    parseTasks: (body) =>
      parseTaskDocument(body, "request", {
        model: config.model,
        timeoutMs: config.taskTimeout,
        ...(config.agent ? { agent: config.agent } : {}),
        baseDir: context.cwd,
      }),
  });
  const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>(
    (resolve, reject) => {
      const server = serve(
        { fetch: api.fetch, port: config.daemon.port, hostname: config.daemon.host },
        (info) => resolve({ server, url: `http://${config.daemon.host}:${info.port}` }),
      );
      server.once("error", reject);
    },
  );
  const infoFile = daemonInfoFile(stateDir);
  writeFileSync(infoFile, JSON.stringify({ pid: process.pid, url, startedAt: Date.now() }), { mode: 0o600 });
  const line = flags.json
    ? `${JSON.stringify({ type: "daemon.listening", url, pid: process.pid, tokenFile: `${stateDir}/api-token` })}\n`
    : `drover daemon listening on ${url} (pid ${process.pid}); token in ${stateDir}/api-token\n`;
  context.stdout.write(line);

  const stopped = await new Promise<{ signal: NodeJS.Signals } | { failure: DroverError }>((resolve) => {
    const removeSignals = context.onSignals((signal) => {
      removeSignals();
      resolve({ signal });
    });
    const failure = app.store.failure;
    if (failure) resolve({ failure });
    else app.store.onFailure((error) => resolve({ failure: error }));
  });
  context.stderr.write(
    "signal" in stopped
      ? `drover daemon: ${stopped.signal}, handing running work back…\n`
      : `drover daemon: ${stopped.failure.message}\ndrover daemon: stopping; running sessions are kept and resume after a restart\n`,
  );
  server.close();
  await app.close("handback");
  if (existsSync(infoFile) && readDaemonInfo(stateDir)?.pid === process.pid)
    rmSync(infoFile, { force: true });
  return "signal" in stopped ? exitCodes.ok : exitCodes.notAllSucceeded;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
