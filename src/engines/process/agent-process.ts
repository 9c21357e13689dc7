import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { AttemptStop } from "../contract.ts";
import { killProcessesOfServers, serverIdVariable } from "../opencode/process-table.ts";

/** How one engine process ended. */
export interface AgentProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KB of its standard error. */
  stderrTail: string;
  /** Why drover stopped it (timeout, cancel, shutdown), if it did. */
  stopped?: AttemptStop;
  /** It could not be started at all (no such binary, …). */
  spawnError?: string;
}

export interface AgentProcessOptions {
  bin: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Aborted with an AttemptStop: the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  /** Each line of standard output, as it comes. */
  onLine(line: string): void;
  /** Output (stdout and stderr) arrived: for liveness. */
  onOutput?(bytes: number): void;
  onStart?(pid: number): void;
  killGraceMs?: number;
  /**
   * Text for its standard input, which is then closed (a CLI that takes its prompt verbatim only
   * there); without it stdin is /dev/null. Either way nothing can wait on a terminal.
   */
  input?: string;
}

const stderrKeep = 8 * 1024;

/**
 * Runs one engine process the way every CLI engine does: in its own process group, stdin from
 * /dev/null (or a given text, then closed), stdout read line by line. Stopping it signals the whole group; when it exits, whatever
 * it left behind — its group, and anything that carries its tag in the environment, even a child
 * that left the group with `setsid` — is killed. Never rejects.
 */
export function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessExit> {
  const tag = `proc-${randomBytes(6).toString("hex")}`;
  return new Promise((resolve) => {
    let stderr = "";
    let stopped: AttemptStop | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(options.bin, [...options.args], {
      cwd: options.cwd,
      // PWD too: a CLI that reads it (OpenCode does) must not see drover's own directory.
      env: { ...options.env, PWD: options.cwd, [serverIdVariable]: tag },
      detached: true,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // a CLI that exits before reading it
      child.stdin.end(options.input);
    }
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone
      }
    };
    const onAbort = () => {
      stopped = (options.signal.reason as AttemptStop | undefined) ?? { kind: "cancel", message: "stopped" };
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), options.killGraceMs ?? 3_000);
      killTimer.unref();
    };
    child.once("error", (error) => {
      options.signal.removeEventListener("abort", onAbort);
      resolve({ code: null, signal: null, stderrTail: "", spawnError: error.message });
    });
    if (child.pid === undefined) return;
    options.onStart?.(child.pid);
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
    // Both are pipes (stdio above); the types cannot tell with a computed stdin.
    const { stdout, stderr: errors } = child as unknown as { stdout: Readable; stderr: Readable };
    createInterface({ input: stdout }).on("line", (line) => {
      options.onOutput?.(line.length + 1);
      options.onLine(line);
    });
    errors.on("data", (chunk: Buffer) => {
      options.onOutput?.(chunk.length);
      stderr = (stderr + chunk.toString("utf8")).slice(-stderrKeep);
    });
    // Reaped on exit: a background child (`sleep 999 &`) must not outlive its attempt, nor hold
    // the output pipes open (which would keep "close" from ever coming).
    child.once("exit", () => {
      killGroup("SIGKILL");
      killProcessesOfServers(new Set([tag]));
    });
    child.once("close", (code, signal) => {
      options.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stderrTail: stderr.trim(), ...(stopped ? { stopped } : {}) });
    });
  });
}
