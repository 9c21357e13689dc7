import type { Clock } from "../core/clock.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { isFinal, type TaskState } from "../core/task-states.ts";
import type { AttemptStop, Engine } from "../engines/contract.ts";
import { DependencyGraph } from "../queue/dependency-graph.ts";
import type { Store } from "../store/store.ts";
import { runTaskAttempt } from "./run-attempt.ts";

export interface RunBatchOptions {
  store: Store;
  engine: Engine;
  clock: Clock;
  batchId: string;
  specs: readonly TaskSpec[];
  concurrency: number;
  /** Abort (reason: AttemptStop) to cancel the batch: running sessions are aborted, the rest cancelled. */
  signal: AbortSignal;
}

/**
 * Dispatches a stored batch: ready tasks start in file order up to `concurrency`; a task whose
 * dependencies all succeeded becomes ready; dependents of a task that did not succeed are blocked.
 * Resolves when every task is in a final state.
 */
export async function runBatch(options: RunBatchOptions): Promise<Record<string, TaskState>> {
  const { store, batchId, specs, signal } = options;
  const graph = new DependencyGraph(specs);
  const states = new Map<string, TaskState>(specs.map((spec) => [spec.id, "queued"]));
  const stateOf = (id: string) => states.get(id) ?? "queued";
  const move = (taskId: string, to: TaskState, reason?: string) => {
    store.transitionTask({ batchId, taskId }, to, reason);
    states.set(taskId, to);
  };
  const startedAt = options.clock.now();
  for (const spec of specs) move(spec.id, graph.initialState(spec.id));

  const running = new Set<Promise<void>>();
  const launch = (spec: TaskSpec) => {
    move(spec.id, "running");
    const run = runTaskAttempt({
      store,
      engine: options.engine,
      clock: options.clock,
      batchId,
      spec,
      batchSignal: signal,
    })
      .then((final) => {
        states.set(spec.id, final);
        if (final === "succeeded") {
          for (const id of graph.unlockedBy(spec.id, stateOf)) move(id, "ready");
        } else {
          for (const id of graph.dependentsOf(spec.id)) {
            if (isFinal(stateOf(id))) continue;
            if (signal.aborted) move(id, "cancelled", "batch cancelled");
            else move(id, "blocked", `dependency ${spec.id} ${final.replace("_", " ")}`);
          }
        }
      })
      .finally(() => running.delete(run));
    running.add(run);
  };

  while (true) {
    if (signal.aborted) {
      const reason = (signal.reason as AttemptStop | undefined)?.message ?? "cancelled";
      for (const spec of specs) {
        const state = stateOf(spec.id);
        if (state === "ready" || state === "waiting" || state === "queued")
          move(spec.id, "cancelled", reason);
      }
    } else {
      for (const spec of specs) {
        if (running.size >= options.concurrency) break;
        if (stateOf(spec.id) === "ready") launch(spec);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }

  const counts: Record<string, number> = {};
  for (const state of states.values()) counts[state] = (counts[state] ?? 0) + 1;
  store.finishBatch(batchId, counts, options.clock.now() - startedAt);
  return Object.fromEntries(states);
}
