import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BatchCpu, childPids } from "./cpu-time.ts";
import { type HopTimes, hopTimes, type TimedEvent } from "./hop-times.ts";
import { samplePeak } from "./rss.ts";
import type { BenchEnv } from "./setup.ts";

const droverBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/drover.js");

export interface DroverRun {
  /** From process start to exit (includes starting OpenCode). */
  wallMs: number;
  /** From batch.created to batch.finished (servers already warm). */
  batchMs: number;
  ok: number;
  failed: number;
  peakRssMb: number;
  /** Where the batch's time went, hop by hop. */
  hops: HopTimes;
  /** CPU milliseconds over the batch: drover's own process, and its OpenCode servers with their tools. */
  cpu: Record<string, number>;
}

/** Runs `drover run` (the built CLI) on generated tasks and reads its JSON events. */
export async function runDroverCli(
  env: BenchEnv,
  name: string,
  prompts: readonly string[],
  options: { concurrency: number; servers?: number; outcome?: "structured" | "text" },
): Promise<DroverRun> {
  const file = path.join(env.root, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      defaults: { dir: env.workDir },
      tasks: prompts.map((prompt, i) => ({ id: `t${i}`, prompt })),
    }),
  );
  const config = path.join(env.root, `${name}.drover.json`);
  writeFileSync(
    config,
    JSON.stringify({
      capacity: { maxWorkers: options.concurrency, ramReserveMb: 0 },
      stagger: { gapMs: 0 },
      outcome: options.outcome ?? "text",
      opencode: { servers: options.servers ?? 1 },
    }),
  );
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      droverBin,
      "run",
      file,
      "--json",
      "--config",
      config,
      "--state-dir",
      path.join(env.root, `${name}-state`),
      "--out",
      path.join(env.root, `${name}-results.json`),
    ],
    { cwd: env.root, stdio: ["ignore", "pipe", "pipe"] },
  );
  const sampler = samplePeak(() => (child.pid ? [child.pid] : []));
  const cpu = new BatchCpu(() => {
    const pid = child.pid ?? 0;
    return { drover: { pids: [pid] }, opencode: { pids: childPids(pid), tree: true } };
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    cpu.feed(chunk.toString());
  });
  child.stderr.resume();
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const wallMs = Date.now() - started;
  const peakRssMb = sampler.stop();
  const events = out
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map(
      (line) =>
        JSON.parse(line) as TimedEvent & {
          durationMs?: number;
          counts?: Record<string, number>;
        },
    );
  const finished = events.find((event) => event.type === "batch.finished");
  const counts = finished?.counts ?? {};
  return {
    wallMs,
    batchMs: finished?.durationMs ?? Number.NaN,
    ok: counts.succeeded ?? 0,
    failed: prompts.length - (counts.succeeded ?? 0),
    peakRssMb,
    hops: hopTimes(events),
    cpu: cpu.spent(),
  };
}
