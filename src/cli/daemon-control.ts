import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { DroverError } from "../core/errors.ts";
import { isProcessAlive } from "../core/process-alive.ts";
import { readDaemonInfo } from "./daemon-client.ts";

export { isProcessAlive };

/** Who listens on a TCP port, read from /proc (Linux; elsewhere undefined). */
export function findPortHolder(port: number): { pid: number; command: string; cwd?: string } | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // State 0A is LISTEN; the local address ends in the port, in hex.
      if (!local || fields[3] !== "0A") continue;
      if (Number.parseInt(local.split(":").at(-1) ?? "", 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of safeReaddir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    for (const fd of safeReaddir(`/proc/${entry}/fd`)) {
      let target = "";
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (!inode || !inodes.has(inode)) continue;
      const command = readFileSafe(`/proc/${entry}/cmdline`).split("\0").filter(Boolean).join(" ");
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        cwd = undefined;
      }
      return { pid: Number(entry), command, ...(cwd ? { cwd } : {}) };
    }
  }
  return undefined;
}

/** The message for a daemon that cannot listen because its port is taken. */
export function describeBusyPort(host: string, port: number): string {
  const holder = findPortHolder(port);
  const who = holder
    ? / daemon( |$)/.test(holder.command) && /drover/.test(holder.command)
      ? `another drover daemon holds it (pid ${holder.pid}${holder.cwd ? `, started in ${holder.cwd}` : ""})`
      : `pid ${holder.pid} holds it (${holder.command.slice(0, 120)})`
    : "another program holds it";
  return `cannot listen on ${host}:${port}: ${who}; choose another port with --port N (or daemon.port in drover.json; --port 0 picks a free one)`;
}

/** Fails with a message naming who holds the port, before anything is started, if it is taken. */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new DroverError("conflict", describeBusyPort(host, port)) : error),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Asks the daemon of a state dir to stop (SIGTERM: it hands running work back) and waits until it has. */
export async function stopDaemon(stateDir: string, timeoutMs: number): Promise<{ pid: number }> {
  const info = readDaemonInfo(stateDir);
  if (!info || !isProcessAlive(info.pid)) {
    throw new DroverError("not_found", `no drover daemon is running for ${stateDir}`);
  }
  process.kill(info.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(info.pid)) {
    if (Date.now() > deadline) {
      throw new DroverError(
        "timeout",
        `the daemon (pid ${info.pid}) did not stop within ${Math.round(timeoutMs / 1000)}s; it may still be handing work back`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: info.pid };
}

export interface DetachedDaemon {
  pid: number;
  url: string;
  logFile: string;
  pidFile: string;
}

/**
 * Starts `drover daemon` (these arguments, without --detach) in the background: its own session,
 * output to `daemon.log` under the state dir, its pid in `daemon.pid`. Resolves once it listens.
 */
export async function startDetachedDaemon(
  args: readonly string[],
  stateDir: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<DetachedDaemon> {
  const logFile = path.join(stateDir, "daemon.log");
  const pidFile = path.join(stateDir, "daemon.pid");
  const log = openSync(logFile, "a", 0o600);
  const entry = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, entry, "daemon", ...args], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const pid = child.pid as number;
  writeFileSync(pidFile, `${pid}\n`, { mode: 0o600 });
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const info = readDaemonInfo(stateDir);
    if (info && info.pid === pid) return { pid, url: info.url, logFile, pidFile };
    if (exited !== undefined) {
      rmSync(pidFile, { force: true });
      const tail = readFileSafe(logFile).trim().split("\n").slice(-5).join("\n");
      throw new DroverError("conflict", `the daemon exited (code ${exited}) before listening:\n${tail}`);
    }
    if (Date.now() > deadline) {
      throw new DroverError(
        "timeout",
        `the daemon (pid ${pid}) did not start listening in time; see ${logFile}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
