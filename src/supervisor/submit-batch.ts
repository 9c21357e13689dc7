import { newId } from "../core/ids.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { DependencyGraph } from "../queue/dependency-graph.ts";
import { LaunchOrder, type Strategy } from "../queue/strategy.ts";
import { keyOf, type LiveTask, runnerOf, type SupervisorCore } from "./supervisor-core.ts";

// Turning a submitted list of specs into a stored batch and its mirror, kept apart from the
// facade because idempotency and the dependency trimming are their own small policy.

export interface SubmitInput {
  specs: readonly TaskSpec[];
  source: string;
  strategy?: Strategy;
  /** Per task id: a key that makes submitting the same task twice create it once. */
  idempotencyKeys?: ReadonlyMap<string, string>;
  /** The batch's own budget in USD (a task file's `budget`). */
  budget?: number;
}

export interface SubmitResult {
  batchId: string;
  created: string[];
  /** Tasks whose idempotency key already existed: where they live. */
  existing: { taskId: string; batchId: string; existingTaskId: string }[];
}

/** Stores a batch (skipping tasks whose idempotency key exists) and mirrors it; the caller schedules. */
export function submitBatch(core: SupervisorCore, input: SubmitInput): SubmitResult {
  const { store, config, owner, clock } = core.deps;
  store.assertWritable();
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
  const batchId = newId("bat");
  if (fresh.length === 0) return { batchId: existing[0]?.batchId ?? batchId, created: [], existing };
  // Dependencies on tasks that already existed are satisfied by them.
  const kept = new Set(fresh.map((spec) => spec.id));
  const specs = fresh.map((spec) => ({
    ...spec,
    dependsOn: spec.dependsOn.filter((dep) => kept.has(dep)),
  }));
  const strategy = input.strategy ?? config.strategy;
  const graph = new DependencyGraph(specs);
  const initialStates = new Map(specs.map((spec) => [spec.id, graph.initialState(spec.id)]));
  store.createBatch(batchId, input.source, specs, {
    strategy,
    owner,
    idempotencyKeys: keys,
    initialStates,
  });
  if (input.budget !== undefined) store.spend.setBatchBudget(batchId, input.budget);
  // Mirror the stored batch from what we just wrote, rather than reading 10,000 rows back.
  core.batches.set(batchId, {
    id: batchId,
    specs,
    graph,
    order: new LaunchOrder(specs.map((spec) => spec.id)),
    strategy,
    createdAt: clock.now(),
    states: new Map(initialStates),
    unfinished: specs.length,
    cancelling: false,
    waiters: [],
    ...(input.budget !== undefined ? { budget: input.budget } : {}),
    ...runnerOf(input.source),
  });
  for (const spec of specs) {
    const task: LiveTask = {
      key: { batchId, taskId: spec.id },
      spec,
      state: initialStates.get(spec.id) ?? "waiting",
      model: spec.model,
      freshAttempts: 0,
      continuations: 0,
      recoveryUsed: false,
      failedRequests: 0,
    };
    core.tasks.set(keyOf(task.key), task);
  }
  return { batchId, created: specs.map((spec) => spec.id), existing };
}
