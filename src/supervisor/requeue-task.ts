import { DroverError } from "../core/errors.ts";
import { isFinal } from "../core/task-states.ts";
import type { TaskKey, TaskPatch } from "../store/store.ts";
import { keyOf, type LiveBatch, type SupervisorCore, setState } from "./supervisor-core.ts";
import { loadBatch, mirrorTask, moveTask, readiness } from "./task-bookkeeping.ts";

// A user's "retry this task" is not the retry policy's retry: it resets every budget and brings
// back the dependents the failure blocked, so it lives apart from settling.

const resetBudgets: TaskPatch = {
  freshAttempts: 0,
  continuations: 0,
  recoveryUsed: false,
  failedRequests: 0,
  pendingPrompt: null,
  sessionId: null,
  sessionServer: null,
  runAt: null,
};

/** Puts a failed, blocked, timed-out or cancelled task (and the dependents it blocked) back in the queue; the caller schedules. */
export function requeueFinishedTask(core: SupervisorCore, key: TaskKey): void {
  const { store } = core.deps;
  const record = store.getTask(key);
  if (!record) throw new DroverError("not_found", `no task ${keyOf(key)}`);
  if (!isFinal(record.state) || record.state === "succeeded") {
    throw new DroverError(
      "conflict",
      `task ${keyOf(key)} is ${record.state}; only failed, blocked, timed-out or cancelled tasks can be retried`,
    );
  }
  if (!core.batches.has(key.batchId)) loadBatch(core, key.batchId);
  const batch = core.batches.get(key.batchId) as LiveBatch;
  const reset: TaskPatch = { ...resetBudgets, model: record.spec.model };
  const requeue = (taskId: string) => {
    const current = store.getTask({ batchId: key.batchId, taskId });
    if (!current) return;
    store.transitionTask({ batchId: key.batchId, taskId }, "queued", "retry requested", reset);
    const task = mirrorTask(core, {
      ...current,
      state: "queued",
      freshAttempts: 0,
      continuations: 0,
      recoveryUsed: false,
      failedRequests: 0,
      model: current.spec.model,
    });
    setState(batch, taskId, "queued");
    moveTask(core, task, readiness(batch, task));
  };
  requeue(key.taskId);
  for (const dependent of batch.graph.dependentsOf(key.taskId)) {
    if (batch.states.get(dependent) === "blocked") requeue(dependent);
  }
}
