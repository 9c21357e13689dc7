// drover benchmarks: drover vs the naive way (N cold `opencode run` processes) vs raw SDK (one warm
// server). Prints a table and writes bench/results/latest.json. See docs/benchmarks.md.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config/load.ts";
import { describeCpu } from "./lib/cpu-time.ts";
import { runDroverCli } from "./lib/drover-cli.ts";
import { fleetRows } from "./lib/fleet-bench.ts";
import { runNaive } from "./lib/naive.ts";
import { overheadRows } from "./lib/overhead.ts";
import { runRawSdk } from "./lib/raw-sdk.ts";
import { log, type Row, round } from "./lib/rows.ts";
import { availableMemoryMb } from "./lib/rss.ts";
import { benchPrompt, createBenchEnv, percentile } from "./lib/setup.ts";
import { measureStartTime } from "./lib/start-time.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const tasks = Number(process.env.BENCH_TASKS ?? 100);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const only = process.env.BENCH_ONLY?.split(",");
const rows: Row[] = [];
const want = (name: string) => !only || only.includes(name);

async function throughput(kind: "trivial" | "tool"): Promise<void> {
  const env = await createBenchEnv(`tp-${kind}`);
  try {
    const prompts = Array.from({ length: tasks }, (_, i) => benchPrompt(kind, i));
    log(`throughput ${kind}: drover run, ${concurrency} at once`);
    const bounded = await runDroverCli(env, `tp-${kind}-bounded`, prompts, { concurrency });
    log(`throughput ${kind}: drover run, all ${tasks} at once`);
    const open = await runDroverCli(env, `tp-${kind}-open`, prompts, { concurrency: tasks });
    log(`throughput ${kind}: raw SDK, all ${tasks} at once`);
    const raw = await runRawSdk(env, kind, tasks);
    log(`throughput ${kind}: naive opencode run ×${tasks}, ${concurrency} at once`);
    const naive = await runNaive(env, kind, tasks, concurrency);
    const failures = `failures: drover ${bounded.failed + open.failed}, naive ${naive.failed}, raw ${raw.failed}`;
    const name = `throughput-${kind}`;
    const s = (ms: number) => round(ms / 1000);
    const rate = (ms: number) => round(tasks / (ms / 1000), 2);
    rows.push({
      name,
      metric: `wall, ${concurrency} at once`,
      drover: s(bounded.batchMs),
      naive: s(naive.wallMs),
      raw: null,
      unit: "s",
      note: `drover end-to-end incl. starting OpenCode ${s(bounded.wallMs)} s; ${failures}`,
    });
    rows.push({
      name,
      metric: `tasks/s, ${concurrency} at once`,
      drover: rate(bounded.batchMs),
      naive: rate(naive.wallMs),
      raw: null,
      unit: "tasks/s",
    });
    rows.push({
      name,
      metric: "wall, all at once",
      drover: s(open.batchMs),
      naive: null,
      raw: s(raw.wallMs),
      unit: "s",
      note: `raw SDK prompts all ${tasks} at once; so does drover here (maxWorkers ${tasks})`,
    });
    rows.push({
      name,
      metric: "tasks/s, all at once",
      drover: rate(open.batchMs),
      naive: null,
      raw: rate(raw.wallMs),
      unit: "tasks/s",
    });
  } finally {
    await env.close();
  }
}

async function latency(): Promise<void> {
  const env = await createBenchEnv("latency");
  const samples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 20);
  try {
    log(`latency: drover warm pool, ${samples} sequential submissions`);
    const stateDir = path.join(env.root, "latency-state");
    const loaded = loadConfig({
      cwd: env.root,
      env: {},
      flags: { stateDir, "capacity.ramReserveMb": 0, "stagger.gapMs": 0, outcome: "text" },
    });
    const app = await createApp({ loaded, env: process.env, models: ["drover/scripted"] });
    await app.supervisor.start();
    const spec = (i: number) => ({
      id: `l${i}`,
      prompt: `[[reply ${i}]]`,
      title: `l${i}`,
      dir: env.workDir,
      model: "drover/scripted",
      files: [],
      timeoutMs: 60_000,
      dependsOn: [],
    });
    const submitted: { batchId: string; at: number }[] = [];
    for (let i = -1; i < samples; i++) {
      const at = Date.now();
      const { batchId } = app.supervisor.submit({ specs: [spec(i + 1)], source: "bench" });
      await app.supervisor.whenBatchDone(batchId);
      if (i >= 0) submitted.push({ batchId, at }); // the first one warms the directory's instance
    }
    const log_ = readFileSync(path.join(stateDir, "scripted-model.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { ts: number; sessionId?: string });
    const droverLatencies = submitted.map(({ batchId, at }) => {
      const sessionId = app.store.listAttempts(batchId)[0]?.sessionId;
      const first = log_.find((record) => record.sessionId === sessionId);
      return first ? first.ts - at : Number.NaN;
    });
    await app.close();
    log(`latency: cold opencode run, ${Math.min(samples, 10)} sequential runs`);
    const coldLatencies: number[] = [];
    for (let i = 0; i < Math.min(samples, 10); i++) {
      const before = env.requests.length;
      const result = await runNaive(env, "trivial", 1, 1);
      const first = env.requests.slice(before).find((record) => record.label !== "title");
      if (first && result.spawnTimes[0]) coldLatencies.push(first.ts - result.spawnTimes[0]);
    }
    for (const p of [50, 95]) {
      rows.push({
        name: "latency-submit-to-model",
        metric: `p${p}`,
        drover: percentile(droverLatencies, p),
        naive: percentile(coldLatencies, p),
        raw: null,
        unit: "ms",
        note: "drover: warm pool, submit() to the model's first request; naive: spawn to first request",
      });
    }
  } finally {
    await env.close();
  }
}

async function startTime(): Promise<void> {
  const env = await createBenchEnv("start");
  try {
    const samples = Number(process.env.BENCH_START_SAMPLES ?? 5);
    log(`start: ${samples} cold drover runs, then ${samples} runs handed to a warm daemon`);
    const { cold, handed } = await measureStartTime(env, samples);
    for (const p of [50, 95]) {
      rows.push({
        name: "start-to-first-request",
        metric: `p${p}, cold run`,
        drover: percentile(cold, p),
        naive: null,
        raw: null,
        unit: "ms",
        note: "`drover run -p` with a fresh state dir: command start to the task's first model request",
      });
      rows.push({
        name: "start-to-first-request",
        metric: `p${p}, handed to daemon`,
        drover: percentile(handed, p),
        naive: null,
        raw: null,
        unit: "ms",
        note: "`drover run -p` while a daemon runs for the state dir: command start to first request",
      });
    }
  } finally {
    await env.close();
  }
}

async function memory(): Promise<void> {
  for (const n of [20, 100]) {
    const env = await createBenchEnv(`mem-${n}`);
    try {
      const prompt = `[[slow 150]] [[reply ${Array.from({ length: 16 }, (_, w) => `w${w}`).join(" ")}]]`;
      log(`memory: drover at ${n} concurrent`);
      const drover = await runDroverCli(
        env,
        `mem-${n}`,
        Array.from({ length: n }, () => prompt),
        { concurrency: n },
      );
      // Each cold opencode process peaks at ~650 MB; keep 2 GB free.
      const cap = Math.max(1, Math.floor((availableMemoryMb() - 2048) / 650));
      const naiveN = Math.min(n, cap);
      log(`memory: naive at ${naiveN} concurrent${naiveN < n ? ` (capped from ${n})` : ""}`);
      const naive = await runNaive(env, "trivial", naiveN, naiveN);
      rows.push({
        name: `memory-${n}-concurrent`,
        metric: "peak RSS",
        drover: drover.peakRssMb,
        naive: naive.peakRssMb,
        raw: null,
        unit: "MB",
        note:
          naiveN < n
            ? `naive capped at ${naiveN} concurrent processes (${n} would need ~${Math.round((n * 650) / 1024)} GB)`
            : `drover failures ${drover.failed}, naive failures ${naive.failed}`,
      });
    } finally {
      await env.close();
    }
  }
}

async function poolSize(): Promise<void> {
  const env = await createBenchEnv("pool");
  try {
    const prompts = Array.from({ length: tasks }, (_, i) => benchPrompt("tool", i));
    const results: number[] = [];
    for (const servers of [1, 2]) {
      log(`pool size: ${servers} server(s), ${tasks} tool tasks, concurrency 20`);
      const run = await runDroverCli(env, `pool-${servers}`, prompts, { concurrency: 20, servers });
      log(`pool size: ${servers} server(s), CPU over the batch: ${describeCpu(run.cpu)}`);
      results.push(run.batchMs);
    }
    rows.push({
      name: "pool-size",
      metric: "wall time, 1 server",
      drover: round((results[0] ?? 0) / 1000),
      naive: null,
      raw: null,
      unit: "s",
    });
    rows.push({
      name: "pool-size",
      metric: "wall time, 2 servers",
      drover: round((results[1] ?? 0) / 1000),
      naive: null,
      raw: null,
      unit: "s",
    });
  } finally {
    await env.close();
  }
}

const scenarios: [string, () => Promise<void>][] = [
  ["throughput-trivial", () => throughput("trivial")],
  ["throughput-tool", () => throughput("tool")],
  ["latency", latency],
  ["start", startTime],
  ["memory", memory],
  ["overhead", async () => void rows.push(...(await overheadRows()))],
  ["pool", poolSize],
  ["fleet", async () => void rows.push(...(await fleetRows(tasks, concurrency)))],
];
const started = Date.now();
for (const [name, run] of scenarios) if (want(name)) await run();

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  memoryGb: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  opencode: "1.18.33",
  date: new Date().toISOString(),
};
const widths = [24, 22, 9, 9, 9, 12];
const line = (cells: (string | number | null)[]) =>
  cells.map((cell, i) => String(cell ?? "–").padEnd(widths[i] ?? 10)).join(" ");
process.stdout.write(`${line(["scenario", "metric", "drover", "naive", "raw", "unit"])}\n`);
for (const row of rows)
  process.stdout.write(
    `${line([row.name, row.metric, row.drover, row.naive, row.raw, row.unit])}${row.note ? `  (${row.note})` : ""}\n`,
  );
mkdirSync(path.join(here, "results"), { recursive: true });
writeFileSync(
  path.join(here, "results", "latest.json"),
  `${JSON.stringify({ machine, scenarios: rows, durationS: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`,
);
process.stdout.write(`\nwrote bench/results/latest.json (${Math.round((Date.now() - started) / 1000)} s)\n`);
process.exit(0);
