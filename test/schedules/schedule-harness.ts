import path from "node:path";
import type { Clock } from "../../src/core/clock.ts";
import { type DroverEvent, EventBus } from "../../src/core/events.ts";
import { newId } from "../../src/core/ids.ts";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import type { ScheduleLaunchDeps } from "../../src/schedules/schedule-launch.ts";
import { ScheduleService } from "../../src/schedules/schedule-service.ts";
import { Scheduler } from "../../src/schedules/scheduler.ts";
import { Store } from "../../src/store/store.ts";
import type { SubmitInput, SubmitResult } from "../../src/supervisor/submit-batch.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { createManualClock } from "../queue/conformance/manual-clock.ts";

/**
 * Stores a batch as the supervisor's submit does — a task whose idempotency key exists is not
 * created again — without launching it: the batch stays unfinished until the test finishes it.
 */
export function storeSubmit(store: Store): (input: SubmitInput) => SubmitResult {
  return (input) => {
    const existing: SubmitResult["existing"] = [];
    const fresh: TaskSpec[] = [];
    const keys = new Map<string, string>();
    for (const spec of input.specs) {
      const key = input.idempotencyKeys?.get(spec.id);
      const found = key ? store.findTaskByIdempotencyKey(key) : undefined;
      if (found) existing.push({ taskId: spec.id, batchId: found.batchId, existingTaskId: found.id });
      else {
        fresh.push(spec);
        if (key) keys.set(spec.id, key);
      }
    }
    if (fresh.length === 0) return { batchId: existing[0]?.batchId ?? "", created: [], existing };
    const batchId = newId("bat");
    store.createBatch(batchId, input.source, fresh, { idempotencyKeys: keys });
    return { batchId, created: fresh.map((spec) => spec.id), existing };
  };
}

/** One "daemon" on a state dir: its own store connection, bus, scheduler and service; a shared clock. */
export interface ScheduleNode {
  store: Store;
  bus: EventBus;
  events: DroverEvent[];
  scheduler: Scheduler;
  service: ScheduleService;
  /** Stops its scheduler and closes its store connection. */
  close(): Promise<void>;
}

export interface ScheduleWorld {
  dir: string;
  clock: Clock;
  advance(ms: number): void;
  /** Opens a node on the world's database (a second call: a second daemon on the same store). */
  node(): ScheduleNode;
  cleanup(): Promise<void>;
}

/** A temp state dir and a manual clock starting on a whole second (1970-01-01T00:16:40Z). */
export function scheduleWorld(): ScheduleWorld {
  const temp = makeTempDir();
  const { clock, advance } = createManualClock(1_000_000);
  const nodes: ScheduleNode[] = [];
  const node = (): ScheduleNode => {
    const bus = new EventBus();
    const events: DroverEvent[] = [];
    bus.subscribe((event) => events.push(event));
    const store = new Store({ file: path.join(temp.dir, "drover.db"), bus, clock });
    const launch: ScheduleLaunchDeps = {
      taskDefaults: { model: "drover/scripted", timeoutMs: 60_000 },
      baseDir: temp.dir,
      submit: storeSubmit(store),
    };
    const scheduler = new Scheduler({ ...launch, store, clock, bus });
    const service = new ScheduleService({ store, clock, launch, onChange: () => scheduler.kick() });
    const opened: ScheduleNode = {
      store,
      bus,
      events,
      scheduler,
      service,
      close: async () => {
        await scheduler.stop();
        store.close();
        nodes.splice(nodes.indexOf(opened), 1);
      },
    };
    nodes.push(opened);
    return opened;
  };
  return {
    dir: temp.dir,
    clock,
    advance,
    node,
    cleanup: async () => {
      for (const open of [...nodes]) await open.close();
      temp.cleanup();
    },
  };
}
