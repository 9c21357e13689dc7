import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { DroverError } from "../../core/errors.ts";
import { isServerLeader, killProcessesOfServers, serverIdVariable } from "./process-table.ts";

export interface SpawnServerOptions {
  bin: string;
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  startTimeoutMs: number;
  /** Start it this way instead (a sandbox around `opencode serve`); closed when the server stops. */
  launch?: {
    bin: string;
    args: string[];
    publicUrl(insideUrl: string): Promise<string>;
    close(): Promise<void>;
  };
}

/** A running `opencode serve` in its own process group, tagged with a server id its tools inherit. */
export interface ServerProcess {
  pid: number;
  url: string;
  /** `DROVER_SERVER_ID` in its environment and in that of every process it starts. */
  serverId: string;
  /** Resolves with the exit code/signal once the server itself is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * SIGTERM the server's group, SIGKILL it after `graceMs`, then kill every process that carries
   * its server id: tool children that left the group (`setsid`, `( … &)`) included.
   */
  stop(graceMs?: number): Promise<void>;
}

const listeningLine = /listening on (https?:\/\/[^\s]+)/;

/** Spawns `opencode serve` on a loopback port and waits for its "listening on" line. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const serverId = newServerId();
  const { launch } = options;
  const command = launch ?? { bin: options.bin, args: ["serve", "--hostname", "127.0.0.1", "--port", "0"] };
  const child = spawn(command.bin, command.args, {
    cwd: options.cwd,
    env: { ...options.env, [serverIdVariable]: serverId },
    detached: true, // own process group (and session), apart from drover's
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      log.end();
      resolve({ code, signal });
    });
  });
  const leaderAlive = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  if (child.pid !== undefined) track(serverId, { pgid: child.pid, leaderAlive });

  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    let settled = false;
    const timer = setTimeout(() => {
      fail(`opencode serve printed no listening line within ${options.startTimeoutMs} ms`);
    }, options.startTimeoutMs);
    const onData = (chunk: Buffer) => {
      if (settled) return;
      const text = chunk.toString("utf8");
      seen = (seen + text).slice(-4000);
      const match = listeningLine.exec(seen);
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killServer(serverId, leaderAlive() ? (child.pid as number) : undefined);
      trackedServers.delete(serverId);
      reject(new DroverError("engine_start_failed", `${message}\n${seen.trim().slice(-1500)}`));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => fail(`cannot start ${options.bin}: ${error.message}`));
    void exited.then(({ code, signal }) =>
      fail(`opencode serve exited (code ${code}, signal ${signal}) before listening`),
    );
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });

  const pid = child.pid as number;
  void exited.then(() => launch?.close());
  return {
    pid,
    url: launch ? await launch.publicUrl(url) : url,
    serverId,
    exited,
    async stop(graceMs = 3000) {
      if (leaderAlive()) {
        signal(-pid, "SIGTERM");
        const timer = setTimeout(() => {
          if (leaderAlive()) signal(-pid, "SIGKILL");
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      await killServerAndWait(serverId);
    },
  };
}

/**
 * Takes over a server an earlier drover started (re-adoption after a crash). The caller has checked
 * that `pid` is that server (see isRecordedServer). Not our child, so its exit is noticed by polling.
 */
export function adoptServerProcess(pid: number, url: string, serverId: string): ServerProcess {
  const leaderAlive = () => isServerLeader(pid, serverId);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const timer = setInterval(() => {
      if (!leaderAlive()) {
        clearInterval(timer);
        resolve({ code: null, signal: null });
      }
    }, 1000);
    timer.unref();
  });
  track(serverId, { pgid: pid, leaderAlive });
  return {
    pid,
    url,
    serverId,
    exited,
    async stop(graceMs = 3000) {
      if (leaderAlive()) signal(-pid, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (leaderAlive() && Date.now() < deadline) await pause(50);
      await killServerAndWait(serverId);
    },
  };
}

/** Server ids look like OpenCode's own ids: a prefix and random hex. */
function newServerId(): string {
  return `srv_${randomBytes(8).toString("hex")}`;
}

/**
 * Servers that may still have processes running: from spawn (or adoption) until their stop()
 * finishes, even after the server itself died, since its tools may outlive it.
 */
const trackedServers = new Map<string, { pgid: number; leaderAlive: () => boolean }>();
let exitHookInstalled = false;

function track(serverId: string, server: { pgid: number; leaderAlive: () => boolean }): void {
  trackedServers.set(serverId, server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Even an abrupt `process.exit` (a second Ctrl-C) leaves nothing behind; the hook must be synchronous.
  process.once("exit", () => {
    for (const server of trackedServers.values()) if (server.leaderAlive()) signal(-server.pgid, "SIGKILL");
    killProcessesOfServers(new Set(trackedServers.keys()));
  });
}

/** SIGKILLs the server's group (when its leader is known alive) and everything carrying its id. */
function killServer(serverId: string, liveGroup: number | undefined): void {
  if (liveGroup !== undefined) signal(-liveGroup, "SIGKILL");
  killProcessesOfServers(new Set([serverId]));
}

/** Kills everything the server started and waits (up to 2 s) until the kernel has taken it all down. */
async function killServerAndWait(serverId: string): Promise<void> {
  const ids = new Set([serverId]);
  const deadline = Date.now() + 2000;
  while (killProcessesOfServers(ids).length > 0 && Date.now() < deadline) await pause(20);
  trackedServers.delete(serverId);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function signal(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch {
    // The process or group is already gone.
  }
}
