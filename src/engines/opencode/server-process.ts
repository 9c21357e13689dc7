import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { DroverError } from "../../core/errors.ts";

export interface SpawnServerOptions {
  bin: string;
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  startTimeoutMs: number;
}

/** A running `opencode serve` child in its own process group. */
export interface ServerProcess {
  pid: number;
  url: string;
  /** Resolves with the exit code/signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM the whole group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const listeningLine = /listening on (https?:\/\/[^\s]+)/;

/** Spawns `opencode serve` on a loopback port and waits for its "listening on" line. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const child = spawn(options.bin, ["serve", "--hostname", "127.0.0.1", "--port", "0"], {
    cwd: options.cwd,
    env: options.env,
    detached: true, // own process group, so stop() reaches every tool process it started
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      log.end();
      resolve({ code, signal });
    });
  });
  trackGroup(child);

  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      fail(`opencode serve printed no listening line within ${options.startTimeoutMs} ms`);
    }, options.startTimeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      seen = (seen + text).slice(-4000);
      const match = listeningLine.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    const fail = (message: string) => {
      clearTimeout(timer);
      killGroup(child, "SIGKILL");
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

  return {
    pid: child.pid as number,
    url,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(child, "SIGKILL"); // stragglers in the group (tool processes)
    },
  };
}

/**
 * Takes over a server an earlier drover started (re-adoption after a crash): not our child, so its
 * exit is noticed by polling; stop() kills its group like ours.
 */
export function adoptServerProcess(pid: number, url: string): ServerProcess {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const timer = setInterval(() => {
      if (!groupAlive(pid)) {
        clearInterval(timer);
        resolve({ code: null, signal: null });
      }
    }, 1000);
    timer.unref();
  });
  adoptedGroups.add(pid);
  void exited.then(() => adoptedGroups.delete(pid));
  installExitHook();
  return {
    pid,
    url,
    exited,
    async stop(graceMs = 3000) {
      signalGroup(pid, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (groupAlive(pid) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      signalGroup(pid, "SIGKILL");
      adoptedGroups.delete(pid);
    },
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone
  }
}

const adoptedGroups = new Set<number>();
const liveGroups = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Remembers a child group so that even an abrupt `process.exit` leaves no orphans behind. */
function trackGroup(child: ChildProcess): void {
  liveGroups.add(child);
  child.once("exit", () => liveGroups.delete(child));
  installExitHook();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const group of liveGroups) killGroup(group, "SIGKILL");
    for (const pgid of adoptedGroups) signalGroup(pgid, "SIGKILL");
  });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
