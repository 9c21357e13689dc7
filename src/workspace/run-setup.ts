import { spawn } from "node:child_process";
import path from "node:path";
import { gitEnv } from "./git.ts";

/** Which output stream a line of a setup command came from. */
export type OutputStream = "stdout" | "stderr";

/** How many of the last output lines a failed setup's message carries. */
const tailLines = 20;

/**
 * Environment that points package managers at one shared cache, `<cacheDir>/<manager>`, so ten
 * worktrees of one repository download their dependencies once.
 */
export function dependencyCacheEnv(cacheDir: string): Record<string, string> {
  return {
    npm_config_cache: path.join(cacheDir, "npm"),
    // pnpm reads its store from npm-style config; version 10 also from its own prefix.
    npm_config_store_dir: path.join(cacheDir, "pnpm"),
    pnpm_config_store_dir: path.join(cacheDir, "pnpm"),
    YARN_CACHE_FOLDER: path.join(cacheDir, "yarn"),
    BUN_INSTALL_CACHE_DIR: path.join(cacheDir, "bun"),
    PIP_CACHE_DIR: path.join(cacheDir, "pip"),
  };
}

/**
 * Runs `command` with `sh -c` in `cwd`, passing each output line to `onOutput`. A non-zero exit
 * (or a signal) is a failure whose message names the command and exit and ends with the last lines.
 */
export function runSetup(options: {
  command: string;
  cwd: string;
  env?: Record<string, string>;
  onOutput?: (line: string, stream: OutputStream) => void;
  signal?: AbortSignal;
  /** What the command is called in messages (default "setup"; the merge queue's "gate"). */
  label?: string;
}): Promise<{ ok: true } | { ok: false; message: string }> {
  const { command, onOutput } = options;
  const label = options.label ?? "setup";
  const tail: string[] = [];
  const emit = (line: string, stream: OutputStream) => {
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
    onOutput?.(line, stream);
  };
  return new Promise((resolve) => {
    // Its own process group, so cancelling stops what the command started (npm, node-gyp …) too.
    const child = spawn("sh", ["-c", command], {
      cwd: options.cwd,
      env: gitEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const stop = () => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    options.signal?.addEventListener("abort", stop, { once: true });
    const flushers = [readLines(child.stdout, (line) => emit(line, "stdout"))];
    flushers.push(readLines(child.stderr, (line) => emit(line, "stderr")));
    child.on("error", (error) => {
      options.signal?.removeEventListener("abort", stop);
      resolve({ ok: false, message: `${label} "${command}" could not start: ${error.message}` });
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", stop);
      for (const flush of flushers) flush();
      if (code === 0) return resolve({ ok: true });
      const exit = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      const output = tail.length > 0 ? `; last output:\n${tail.join("\n")}` : " with no output";
      resolve({ ok: false, message: `${label} "${command}" ${exit}${output}` });
    });
  });
}

/** Calls `onLine` for each complete line of `stream`; the returned function flushes a last partial one. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): () => void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n/);
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  return () => {
    if (pending !== "") onLine(pending);
    pending = "";
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}
