// Supervisor overhead: drover's own RSS and CPU with 10,000 queued tasks and 100 running.
// Runs on the built library (dist/) so no TypeScript loader inflates the figures.
// Usage: node bench/overhead-child.mjs STATE_DIR MODEL_BASE_URL WORK_DIR [QUEUED] [RUNNING]
import { createApp, loadConfig } from "../dist/src/index.js";

const [stateDir, baseURL, workDir, queuedArg = "10000", runningArg = "100"] = process.argv.slice(2);
const queued = Number(queuedArg);
const running = Number(runningArg);
const loaded = loadConfig({
  cwd: workDir,
  env: {},
  flags: {
    stateDir,
    model: "bench/m",
    "capacity.maxWorkers": running,
    "capacity.ramReserveMb": 0,
    "stagger.gapMs": 0,
    outcome: "text",
    taskTimeout: "20m",
    "opencode.provider": {
      bench: { npm: "@ai-sdk/openai-compatible", options: { baseURL }, models: { m: {} } },
    },
  },
});
const app = await createApp({ loaded, env: process.env, models: ["bench/m"] });
await app.supervisor.start();
const specs = Array.from({ length: queued }, (_, i) => ({
  id: `t${i}`,
  prompt: "[[hang]] wait",
  title: `t${i}`,
  dir: workDir,
  model: "bench/m",
  files: [],
  timeoutMs: 1_200_000,
  dependsOn: [],
}));
const rssBefore = process.memoryUsage().rss;
const submitStart = performance.now();
app.supervisor.submit({ specs, source: "bench" });
const submitMs = performance.now() - submitStart;
while (app.supervisor.status().running < running) await new Promise((resolve) => setTimeout(resolve, 100));
// Let the sessions settle into their hang, then measure a steady window.
await new Promise((resolve) => setTimeout(resolve, 2000));
const windowMs = 10_000;
const cpu0 = process.cpuUsage();
let peakRss = 0;
const start = performance.now();
while (performance.now() - start < windowMs) {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const cpu = process.cpuUsage(cpu0);
const status = app.supervisor.status();
process.stdout.write(
  `${JSON.stringify({
    queued,
    running: status.running,
    waiting: status.byState.ready ?? 0,
    submitMs: Math.round(submitMs),
    rssMb: Math.round(peakRss / 1024 / 1024),
    rssBeforeSubmitMb: Math.round(rssBefore / 1024 / 1024),
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    memory: Object.fromEntries(
      Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1024 / 1024)]),
    ),
    cpuMsPerSecond: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 1000),
  })}\n`,
);
await app.close("cancel");
process.exit(0);
