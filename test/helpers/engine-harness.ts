import { mkdirSync } from "node:fs";
import path from "node:path";
import { createApp, type DroverApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { DroverEvent } from "../../src/core/events.ts";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import type { BatchResults } from "../../src/supervisor/batch-results.ts";
import { dispatchBatch } from "../../src/supervisor/dispatch-batch.ts";
import { membersOfGroups, processesOwnedBy } from "./processes.ts";
import { makeTempDir } from "./temp-dir.ts";

/** A real drover app (real `opencode serve`, real SQLite, scripted model) in a temp dir. */
export interface EngineHarness {
  app: DroverApp;
  root: string;
  workDir: string;
  events: DroverEvent[];
  /** Process groups of every server this harness started. */
  serverGroups: number[];
  task(id: string, prompt: string, extra?: Partial<TaskSpec>): TaskSpec;
  /** Submits a batch and resolves with its results; aborting `signal` cancels the batch. */
  run(specs: TaskSpec[], options?: { signal?: AbortSignal }): Promise<BatchResults>;
  /** Stops everything and returns pids still alive that drover started (should be none). */
  close(): Promise<number[]>;
}

export async function startHarness(
  config: Record<string, unknown> = {},
  options: { freeMemoryMb?: () => number; outcome?: "structured" | "text" } = {},
): Promise<EngineHarness> {
  const temp = makeTempDir();
  const workDir = path.join(temp.dir, "work");
  mkdirSync(workDir, { recursive: true });
  const loaded = loadConfig({
    cwd: temp.dir,
    env: {},
    flags: {
      stateDir: path.join(temp.dir, "state"),
      "capacity.maxWorkers": 4,
      "capacity.ramReserveMb": 0,
      "stagger.gapMs": 0,
      "retry.initialBackoff": 100,
      ...config,
    },
  });
  const app = await createApp({
    loaded,
    env: process.env,
    models: [loaded.config.model],
    ...(options.freeMemoryMb ? { freeMemoryMb: options.freeMemoryMb } : {}),
  });
  await app.supervisor.start();
  const events: DroverEvent[] = [];
  const serverGroups: number[] = [];
  const record = (event: DroverEvent) => {
    events.push(event);
    if (event.type === "engine.server" && event.state === "ready" && event.pid) serverGroups.push(event.pid);
  };
  for (const event of app.store.listEvents()) record(event);
  app.bus.subscribe(record);
  const owner = path.join(loaded.stateDir, "engines", "opencode");
  return {
    app,
    root: temp.dir,
    workDir,
    events,
    serverGroups,
    task: (id, prompt, extra = {}) => ({
      id,
      prompt,
      title: id,
      dir: workDir,
      model: loaded.config.model,
      files: [],
      timeoutMs: 60_000,
      dependsOn: [],
      ...extra,
    }),
    run: (specs, runOptions = {}) =>
      dispatchBatch({
        store: app.store,
        engine: app.engine,
        supervisor: app.supervisor,
        specs,
        source: "test",
        onBatch: (batchId) => {
          const signal = runOptions.signal;
          if (!signal) return;
          const cancel = () => app.supervisor.cancelBatch(batchId, "test cancel");
          if (signal.aborted) cancel();
          else signal.addEventListener("abort", cancel, { once: true });
        },
      }),
    async close() {
      await app.close();
      const left = [...membersOfGroups(serverGroups), ...processesOwnedBy(owner)];
      temp.cleanup();
      return [...new Set(left)];
    },
  };
}
