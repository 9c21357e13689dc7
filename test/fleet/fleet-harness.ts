import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DaemonClient } from "../../src/cli/daemon-client.ts";
import { followEvents } from "../../src/cli/render/follow-events.ts";
import type { DroverEvent } from "../../src/core/events.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A daemon on a real redis-server and `drover worker` processes, all real, in one temp dir. */
export interface Fleet {
  dir: string;
  redis: TestRedis;
  redisUrl: string;
  daemonStateDir: string;
  daemon(): { run: CliRun; client: DaemonClient };
  startDaemon(): Promise<{ run: CliRun; client: DaemonClient }>;
  startWorker(host: string, extra?: string[]): Promise<FleetWorkerRun>;
  /** Resolves with the batch's events once `done` says so (live, over the daemon's SSE). */
  waitForEvents(batchId: string, done: (seen: DroverEvent[]) => boolean): Promise<DroverEvent[]>;
  cleanup(): Promise<void>;
}

export interface FleetWorkerRun {
  run: CliRun;
  host: string;
  stateDir: string;
  /** Every OpenCode process this worker's pool started (to simulate losing the host). */
  engineProcesses(): number[];
}

export async function startFleet(config: Record<string, unknown> = {}): Promise<Fleet> {
  const temp = makeTempDir("drover-fleet-");
  const redis = await startTestRedis(path.join(temp.dir));
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const daemonStateDir = path.join(temp.dir, "daemon-state");
  writeFileSync(
    path.join(temp.dir, "drover.json"),
    JSON.stringify({
      queue: { redis: redisUrl },
      capacity: { ramReserveMb: 0 },
      stagger: { gapMs: 0 },
      leaseTtl: "3s",
      ...config,
    }),
  );
  const runs: CliRun[] = [];
  const workers: FleetWorkerRun[] = [];
  let current: { run: CliRun; client: DaemonClient } | undefined;

  const startDaemon = async () => {
    const run = runDrover(["daemon", "--port", "0", "--json", "--state-dir", daemonStateDir], {
      cwd: temp.dir,
    });
    runs.push(run);
    await run.waitForOutput(/"daemon.listening"/);
    const line = run
      .stdout()
      .split("\n")
      .find((text) => text.includes("daemon.listening"));
    const { url } = JSON.parse(line ?? "{}") as { url: string };
    const token = readFileSync(path.join(daemonStateDir, "api-token"), "utf8").trim();
    current = { run, client: new DaemonClient(url, token) };
    return current;
  };

  const startWorker = async (host: string, extra: string[] = []) => {
    const stateDir = path.join(temp.dir, `worker-${host}`);
    const run = runDrover(["worker", "--host-name", host, "--json", "--state-dir", stateDir, ...extra], {
      cwd: temp.dir,
    });
    runs.push(run);
    await run.waitForOutput(/"worker.ready"/);
    const worker = {
      run,
      host,
      stateDir,
      engineProcesses: () => processesOwnedBy(path.join(stateDir, "engines", "opencode")),
    };
    workers.push(worker);
    return worker;
  };

  const waitForEvents = (batchId: string, done: (seen: DroverEvent[]) => boolean) =>
    new Promise<DroverEvent[]>((resolve, reject) => {
      const client = current?.client;
      if (!client) return reject(new Error("no daemon"));
      const seen: DroverEvent[] = [];
      const controller = new AbortController();
      followEvents(client, {
        batchId,
        signal: controller.signal,
        onEvent: (event) => {
          seen.push(event);
          if (done(seen)) {
            controller.abort();
            resolve(seen);
          }
        },
      }).catch((error: unknown) => {
        if (!controller.signal.aborted) reject(error);
      });
    });

  try {
    await startDaemon();
  } catch (error) {
    for (const run of runs) run.child.kill("SIGKILL");
    await redis.kill();
    temp.cleanup();
    throw error;
  }
  return {
    dir: temp.dir,
    redis,
    redisUrl,
    daemonStateDir,
    daemon: () => {
      if (!current) throw new Error("no daemon");
      return current;
    },
    startDaemon,
    startWorker,
    waitForEvents,
    cleanup: async () => {
      for (const run of runs) {
        if (run.child.exitCode === null && run.child.signalCode === null) {
          run.child.kill("SIGKILL");
          await run.exited;
        }
      }
      for (const worker of workers) {
        for (const pid of worker.engineProcesses()) process.kill(pid, "SIGKILL");
      }
      await redis.kill();
      temp.cleanup();
    },
  };
}

/** The final task states of a batch, from the daemon's events. */
export function finalStates(events: readonly DroverEvent[]): Map<string, string> {
  const states = new Map<string, string>();
  for (const event of events) if (event.type === "task.state") states.set(event.taskId, event.to);
  return states;
}

export const batchFinished = (seen: readonly DroverEvent[]) =>
  seen.some((event) => event.type === "batch.finished");
