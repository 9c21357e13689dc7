import { isFinal, type TaskState } from "../core/task-states.ts";
import type { AttemptStop } from "../engines/contract.ts";
import { DependencyGraph } from "../queue/dependency-graph.ts";
import { LaunchOrder, type Strategy } from "../queue/strategy.ts";
import type { TaskPatch, TaskRecord } from "../store/store.ts";
import {
  keyOf,
  type LiveBatch,
  type LiveTask,
  runnerOf,
  type SupervisorCore,
  setState,
} from "./supervisor-core.ts";

// Keeping the in-memory mirror and the store in step: every state change of a task goes through
// `moveTask`, and everything that follows a task becoming final (dependents, the batch ending)
// happens here, so scheduling, settling and recovery never touch the mirror's counts themselves.

/** Writes a task's new state to the store, then to the mirror. */
export function moveTask(
  core: SupervisorCore,
  task: LiveTask,
  to: TaskState,
  reason?: string,
  patch?: TaskPatch,
): void {
  core.deps.store.transitionTask(task.key, to, reason, patch);
  task.state = to;
  const batch = core.batches.get(task.key.batchId);
  if (batch) setState(batch, task.key.taskId, to);
}

/** Cancels a task now, or asks its running attempt to stop (it is settled as cancelled). */
export function cancelLiveTask(core: SupervisorCore, task: LiveTask, reason: string): void {
  if (isFinal(task.state)) return;
  if (task.state === "running") {
    task.controller?.abort({ kind: "cancel", message: reason } satisfies AttemptStop);
    return;
  }
  moveTask(core, task, "cancelled", reason);
  afterFinal(core, task, "cancelled");
}

/** Unlocks or blocks dependents, then closes the batch when everything is final. */
export function afterFinal(core: SupervisorCore, task: LiveTask, state: TaskState): void {
  core.tasks.delete(keyOf(task.key));
  const batch = core.batches.get(task.key.batchId);
  if (!batch) return;
  const stateOf = (id: string) => batch.states.get(id) ?? "queued";
  if (state === "succeeded") {
    for (const id of batch.graph.unlockedBy(task.key.taskId, stateOf)) {
      const dependent = core.tasks.get(keyOf({ batchId: batch.id, taskId: id }));
      if (dependent) moveTask(core, dependent, "ready");
    }
  } else {
    // Finished dependents settled their own dependents when they finished: the walk stops there.
    for (const id of batch.graph.dependentsOf(task.key.taskId, (id) => !isFinal(stateOf(id)))) {
      const dependent = core.tasks.get(keyOf({ batchId: batch.id, taskId: id }));
      if (!dependent || isFinal(dependent.state) || dependent.state === "running") continue;
      const to = batch.cancelling ? "cancelled" : "blocked";
      moveTask(
        core,
        dependent,
        to,
        batch.cancelling ? "batch cancelled" : `dependency ${task.key.taskId} ${state.replace("_", " ")}`,
      );
      core.tasks.delete(keyOf(dependent.key));
    }
  }
  checkBatchDone(core, batch);
}

/** Closes a batch whose tasks are all final: records its counts once and wakes its waiters. */
export function checkBatchDone(core: SupervisorCore, batch: LiveBatch): void {
  if (batch.unfinished > 0) return;
  const counts: Record<string, number> = {};
  for (const state of batch.states.values()) counts[state] = (counts[state] ?? 0) + 1;
  const record = core.deps.store.getBatch(batch.id);
  if (record && !record.finishedAt)
    core.deps.store.finishBatch(batch.id, counts, core.deps.clock.now() - batch.createdAt);
  core.batches.delete(batch.id);
  for (const resolve of batch.waiters) resolve();
}

/** Where a queued task goes by its dependencies' states. */
export function readiness(batch: LiveBatch, task: LiveTask): "ready" | "waiting" | "blocked" {
  const deps = task.spec.dependsOn;
  if (
    deps.some((dep) => {
      const s = batch.states.get(dep);
      return s !== undefined && isFinal(s) && s !== "succeeded";
    })
  )
    return "blocked";
  return deps.every((dep) => batch.states.get(dep) === "succeeded") ? "ready" : "waiting";
}

/** Mirrors a stored batch and its unfinished tasks (once). */
export function loadBatch(core: SupervisorCore, batchId: string): void {
  if (core.batches.has(batchId)) return;
  const { store, config, clock } = core.deps;
  const records = store.listTasks(batchId);
  const batchRecord = store.getBatch(batchId);
  const specs = records.map((record) => record.spec);
  core.batches.set(batchId, {
    id: batchId,
    specs,
    graph: new DependencyGraph(specs),
    order: new LaunchOrder(specs.map((spec) => spec.id)),
    strategy: (batchRecord?.strategy as Strategy | undefined) ?? config.strategy,
    createdAt: batchRecord?.createdAt ?? clock.now(),
    states: new Map(records.map((record) => [record.id, record.state])),
    unfinished: records.filter((record) => !isFinal(record.state)).length,
    cancelling: false,
    waiters: [],
    ...budgetOf(store.spend.batchBudget(batchId)),
    ...runnerOf(batchRecord?.source),
  });
  for (const record of records) if (!isFinal(record.state)) mirrorTask(core, record);
}

/** Mirrors one stored task (replacing any mirror of it). */
export function mirrorTask(core: SupervisorCore, record: TaskRecord): LiveTask {
  const task: LiveTask = {
    key: { batchId: record.batchId, taskId: record.id },
    spec: record.spec,
    state: record.state,
    model: record.model,
    freshAttempts: record.freshAttempts,
    continuations: record.continuations,
    recoveryUsed: record.recoveryUsed,
    failedRequests: record.failedRequests,
    ...(record.pendingPrompt
      ? { pendingPrompt: record.pendingPrompt, pendingKind: "continue" as const }
      : {}),
    ...(record.sessionId ? { sessionId: record.sessionId } : {}),
    ...(record.sessionServer ? { sessionServer: record.sessionServer } : {}),
    ...(record.runAt !== undefined ? { runAt: record.runAt } : {}),
    // Parked with no time to wake: the budget held it back.
    ...(record.state === "parked" && record.runAt === undefined
      ? { budgetWait: record.stateReason ?? "budget" }
      : {}),
  };
  core.tasks.set(keyOf(task.key), task);
  return task;
}

/** The mirrored task; its absence is a bug. */
export function liveTask(core: SupervisorCore, batchId: string, taskId: string): LiveTask {
  const task = core.tasks.get(keyOf({ batchId, taskId }));
  if (!task) throw new Error(`no live task ${batchId}/${taskId}`);
  return task;
}

const budgetOf = (budget: number | undefined) => (budget !== undefined ? { budget } : {});
