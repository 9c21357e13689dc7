import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { badInput } from "../../core/errors.ts";
import type { DroverEventBody } from "../../core/events.ts";
import { redactSecretsIn } from "../../security/redact-value.ts";
import type { CliContext } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";

interface WorkerFlags {
  redis?: string;
  hostName?: string;
  json?: boolean;
  config?: string;
  stateDir?: string;
  concurrency?: string;
}

export function registerWorkerCommand(program: Command, context: CliContext): void {
  program
    .command("worker")
    .description(
      "Run attempts for a fleet daemon (`drover daemon --redis URL`) on this host with its own warm OpenCode pool, until SIGINT/SIGTERM",
    )
    .option("--redis <url>", "the fleet's Redis, e.g. redis://10.0.0.5:6379 (config queue.redis)")
    .option(
      "--host-name <name>",
      "how this host is shown in `drover status` (default: the machine's host name)",
    )
    .option(
      "-c, --concurrency <n>",
      "at most this many attempts at once on this host (config capacity.maxWorkers)",
    )
    .option("--json", "print events as JSON lines")
    .option("--config <file>", "config file (default: drover.json of this project)")
    .option("--state-dir <dir>", "this worker's state directory (default: .drover of this project)")
    .action(async (flags: WorkerFlags) => context.setExitCode(await runWorker(flags, context)));
}

async function runWorker(flags: WorkerFlags, context: CliContext): Promise<number> {
  const loaded = loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      stateDir: flags.stateDir,
      "queue.redis": flags.redis,
      "capacity.maxWorkers": flags.concurrency !== undefined ? Number(flags.concurrency) : undefined,
    },
  });
  if (!loaded.config.queue.redis) {
    throw badInput("bad_input", [
      {
        source: "drover worker",
        path: "--redis",
        message:
          "a worker needs the fleet's Redis: pass --redis redis://HOST:PORT or set queue.redis in drover.json",
      },
    ]);
  }
  // As the daemon's: log lines on stdout (stderr under `--json`, whose events own stdout), and
  // what stops the worker (error, fatal) on stderr.
  // The worker's parts (pino, BullMQ, the engines) load only when a worker starts.
  const [{ createWorkerApp }, { eventLogger, eventLogLevel }, { createLogger }] = await Promise.all([
    import("../../app-worker.ts"),
    import("../../logging/event-log.ts"),
    import("../../logging/logger.ts"),
  ]);
  const log = createLogger({
    name: "drover-worker",
    level: loaded.config.logLevel,
    out: flags.json ? context.stderr : context.stdout,
    err: context.stderr,
  });
  const logEvent = eventLogger(log);
  const print = (event: DroverEventBody) => {
    const at = { seq: 0, ts: Date.now() };
    // Most events (progress, sessions) are debug: without --json, none of them is written.
    if (!flags.json && !log.isLevelEnabled(eventLogLevel({ ...event, ...at }))) return;
    const stamped = { ...redactSecretsIn(event), ...at };
    if (flags.json) context.stdout.write(`${JSON.stringify(stamped)}\n`);
    logEvent(stamped);
  };
  let refused: ((problem: string) => void) | undefined;
  const refusal = new Promise<string>((resolve) => {
    refused = resolve;
  });
  const app = await createWorkerApp({
    loaded,
    env: context.env,
    ...(flags.hostName ? { host: flags.hostName } : {}),
    print,
    onRefused: (problem) => refused?.(problem),
  });
  const ready = {
    type: "worker.ready",
    workerId: app.workerId,
    host: app.host,
    slots: app.slots,
    redis: app.redis,
    queue: loaded.config.queue.name,
    pid: process.pid,
  };
  // Signal handlers before saying ready: a SIGTERM sent on seeing "ready" must hand work back, not kill.
  const stopping = new Promise<{ signal: NodeJS.Signals } | { refused: string }>((resolve) => {
    const removeSignals = context.onSignals((signal) => {
      removeSignals();
      resolve({ signal });
    });
    void refusal.then((problem) => resolve({ refused: problem }));
  });
  if (flags.json) context.stdout.write(`${JSON.stringify(ready)}\n`);
  const { type: _type, pid: _pid, ...readyFields } = ready;
  log.info(
    readyFields,
    `drover worker ${app.host} (${app.workerId}) ready: ${app.slots} slots, fleet "${ready.queue}" on ${app.redis}`,
  );
  const stopped = await stopping;
  if ("signal" in stopped)
    log.info(
      { signal: stopped.signal },
      `${stopped.signal}: putting running attempts back for other workers`,
    );
  else log.fatal({ refused: stopped.refused }, `drover worker refused: ${stopped.refused}`);
  await app.close();
  log.info("drover worker stopped");
  return "signal" in stopped ? exitCodes.ok : exitCodes.badInput;
}
