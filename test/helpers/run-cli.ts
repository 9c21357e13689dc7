import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const droverBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/drover.js");

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves when stdout has printed a line matching `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
}

/** Runs the built CLI (`bin/drover.js`) as a real child process. */
export function runDrover(args: string[], options: { cwd: string; env?: Record<string, string> }): CliRun {
  const child = spawn(process.execPath, [droverBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(out)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out)) return resolve();
        watchers.push({ pattern, resolve });
        void exited.then(() =>
          reject(new Error(`exited before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`)),
        );
      }),
  };
}

/** The batch id of the `batch.results` line `drover run --json` printed last; undefined without one. */
export function batchIdIn(jsonLines: string): string | undefined {
  return jsonLines
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { type: string; id?: string })
    .findLast((line) => line.type === "batch.results")?.id;
}

/** `NAME=VALUE` lines (as an agent's probe commands print them) in a transcript, by name. */
export function namedValuesIn(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^\s*([a-z0-9-]+)=(.*)$/gm)].map((match) => [match[1], (match[2] ?? "").trim()]),
  );
}
