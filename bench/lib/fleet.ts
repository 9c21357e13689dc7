import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BatchCpu, type CpuRole, childPids } from "./cpu-time.ts";
import { type HopTimes, hopTimes, type TimedEvent } from "./hop-times.ts";
import type { BenchEnv } from "./setup.ts";

const droverBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/drover.js");
/** Guards only: every wait below ends on a signal (a line printed, a process exiting) long before. */
const readyTimeoutMs = 120_000;
const stopTimeoutMs = 30_000;

export interface FleetRun {
  /** `drover run FILE` handed to the daemon: process start to exit. */
  wallMs: number;
  /** The daemon's `batch.created` → `batch.finished`. */
  batchMs: number;
  /** redis-server, daemon and every worker started and joined (before the batch). */
  startMs: number;
  ok: number;
  failed: number;
  /** Attempts each host claimed (`fleet.attempt` events, action `claimed`). */
  byHost: Record<string, number>;
  /** Where the batch's time went, hop by hop. */
  hops: HopTimes;
  /** CPU milliseconds over the batch per process: redis, daemon, each worker and its OpenCode servers. */
  cpu: Record<string, number>;
}

interface Proc {
  label: string;
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

/**
 * A fleet on this machine: its own redis-server (loopback, free port, no persistence), `drover daemon
 * --redis` and one `drover worker` per host (each with its own state dir and warm OpenCode pool), all
 * the built CLI. Submits `prompts` as one batch with `drover run --json` (handed to the daemon), waits
 * for it to exit, and stops everything it started, also when something fails.
 */
export async function runFleet(
  env: BenchEnv,
  name: string,
  prompts: readonly string[],
  options: { hosts: readonly string[]; perHost: number },
): Promise<FleetRun> {
  const root = path.join(env.root, name);
  mkdirSync(root, { recursive: true });
  const procs: Proc[] = [];
  const killAll = () => {
    for (const proc of procs) if (running(proc.child)) proc.child.kill("SIGKILL");
    for (const pid of processesOwnedUnder(root)) killQuietly(pid);
  };
  // The bench exiting on an uncaught error leaves nothing behind (Ctrl-C reaches the children itself).
  process.once("exit", killAll);
  const start = (label: string, command: string, args: string[]): Proc => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const proc = { label, child, out: () => out, err: () => err, exited };
    procs.push(proc);
    return proc;
  };
  // BENCH_CPU_PROF=DIR: each drover process writes a V8 CPU profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const drover = (label: string, args: string[]) =>
    start(label, process.execPath, [...profile, droverBin, ...args]);

  try {
    const started = Date.now();
    const port = await freePort();
    const redis = start("redis-server", "redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", root],
      ...["--save", "", "--appendonly", "no", "--daemonize", "no"],
    ]);
    await waitForOutput(redis, /Ready to accept connections/);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const config = path.join(root, "drover.json");
    writeFileSync(
      config,
      JSON.stringify({
        capacity: { maxWorkers: options.perHost * options.hosts.length, ramReserveMb: 0 },
        stagger: { gapMs: 0 },
        outcome: "text",
      }),
    );
    const daemonState = path.join(root, "daemon-state");
    // As one runs them: log lines on stdout (info), no `--json` event stream of their own — the
    // batch's events reach the user through `drover run --json`, as in the embedded run.
    const common = ["--redis", redisUrl, "--config", config];
    const daemon = drover("daemon", ["daemon", "--port", "0", ...common, "--state-dir", daemonState]);
    await waitForOutput(daemon, /drover daemon listening on/);
    const workers = options.hosts.map((host) =>
      drover(`worker ${host}`, [
        ...["worker", "--host-name", host, "-c", String(options.perHost), ...common],
        ...["--state-dir", path.join(root, `worker-${host}`)],
      ]),
    );
    await Promise.all(
      options.hosts.map((host, i) =>
        waitForOutput(workers[i] as Proc, new RegExp(`drover worker ${host} \\(.*\\) ready`)),
      ),
    );
    // The daemon counts a host's slots once it has seen it join.
    await Promise.all(
      options.hosts.map((host) =>
        waitForOutput(daemon, new RegExp(`"event":"fleet\\.host"[^\\n]*"host":"${host}"[^\\n]*"joined"`)),
      ),
    );
    const startMs = Date.now() - started;

    const file = path.join(root, "tasks.json");
    writeFileSync(
      file,
      JSON.stringify({
        defaults: { dir: env.workDir },
        tasks: prompts.map((prompt, i) => ({ id: `t${i}`, prompt })),
      }),
    );
    const submitted = Date.now();
    const run = drover("run", [
      ...["run", file, "--json", "--state-dir", daemonState],
      ...["--out", path.join(root, "results.json")],
    ]);
    const cpu = new BatchCpu(() => {
      const roles: Record<string, CpuRole> = {
        redis: { pids: [redis.child.pid ?? 0] },
        daemon: { pids: [daemon.child.pid ?? 0], tree: true },
        "drover run": { pids: [run.child.pid ?? 0] },
      };
      for (const [i, host] of options.hosts.entries()) {
        const pid = workers[i]?.child.pid ?? 0;
        roles[`worker ${host}`] = { pids: [pid] };
        roles[`opencode ${host}`] = { pids: childPids(pid), tree: true };
      }
      return roles;
    });
    run.child.stdout?.on("data", (chunk: Buffer) => cpu.feed(chunk.toString()));
    // A daemon, worker or redis-server that dies mid-batch ends the wait too (with an error).
    let batchOver = false;
    const died = [redis, daemon, ...workers].map((proc) =>
      proc.exited.then((code) => {
        if (!batchOver) throw new Error(`${proc.label} exited (${code}) mid-batch:\n${tail(proc.err())}`);
      }),
    );
    try {
      await Promise.race([run.exited, ...died]);
    } finally {
      batchOver = true;
    }
    const wallMs = Date.now() - submitted;
    if (!run.err().includes("handing the batch to the daemon")) {
      throw new Error(`drover run did not hand the batch to the daemon:\n${tail(run.err())}`);
    }
    const events = run
      .out()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map(
        (line) =>
          JSON.parse(line) as TimedEvent & {
            host?: string;
            durationMs?: number;
            counts?: Record<string, number>;
          },
      );
    const finished = events.find((event) => event.type === "batch.finished");
    if (!finished) throw new Error(`no batch.finished from drover run:\n${tail(run.err())}`);
    const byHost: Record<string, number> = Object.fromEntries(options.hosts.map((host) => [host, 0]));
    for (const event of events) {
      if (event.type === "fleet.attempt" && event.action === "claimed" && event.host)
        byHost[event.host] = (byHost[event.host] ?? 0) + 1;
    }
    const ok = finished.counts?.succeeded ?? 0;
    await stopAll([...workers, daemon]);
    return {
      wallMs,
      batchMs: finished.durationMs ?? Number.NaN,
      startMs,
      ok,
      failed: prompts.length - ok,
      byHost,
      hops: hopTimes(events),
      cpu: cpu.spent(),
    };
  } finally {
    killAll();
    await Promise.all(procs.map((proc) => proc.exited));
    process.off("exit", killAll);
  }
}

/** SIGTERM (workers hand attempts back, the daemon and pools stop), then wait for each exit. */
async function stopAll(procs: readonly Proc[]): Promise<void> {
  for (const proc of procs) if (running(proc.child)) proc.child.kill("SIGTERM");
  await Promise.all(
    procs.map((proc) =>
      Promise.race([
        proc.exited,
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`${proc.label} did not stop within ${stopTimeoutMs} ms`)),
            stopTimeoutMs,
          ).unref(),
        ),
      ]),
    ),
  );
}

function waitForOutput(proc: Proc, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = proc.child.stdout;
    const done = (error?: Error) => {
      clearTimeout(timer);
      stream?.off("data", check);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (pattern.test(proc.out())) done();
    };
    const timer = setTimeout(
      () => done(new Error(`${proc.label}: no ${pattern} within ${readyTimeoutMs} ms:\n${tail(proc.err())}`)),
      readyTimeoutMs,
    );
    stream?.on("data", check);
    void proc.exited.then((code) =>
      done(new Error(`${proc.label} exited (${code}) before ${pattern}:\n${tail(proc.err())}`)),
    );
    check();
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** Live processes drover started for state dirs under `root` (OpenCode servers and their tools). */
function processesOwnedUnder(root: string): number[] {
  const marker = `DROVER_OWNER=${root}${path.sep}`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {
      // Not ours to read, or gone.
    }
  }
  return found;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const tail = (text: string) => text.split("\n").slice(-20).join("\n");

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
