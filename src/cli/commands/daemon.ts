import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { badInput } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { startDetachedDaemon, stopDaemon } from "../daemon-control.ts";
import { exitCodes } from "../exit-codes.ts";

export interface DaemonFlags {
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
      if (action === undefined) {
        const { runDaemon } = await import("./daemon-run.ts");
        context.setExitCode(await runDaemon(flags, context));
      } else if (action === "stop") context.setExitCode(await stopCommand(flags, context));
      else
        throw badInput("bad_input", [
          { source: "drover daemon", path: "", message: `unknown action "${action}" (use: stop)` },
        ]);
    });
}

export function loadDaemonConfig(flags: DaemonFlags, context: CliContext) {
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

export async function detachCommand(
  flags: DaemonFlags,
  context: CliContext,
  stateDir: string,
): Promise<number> {
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
