import { newId } from "../core/ids.ts";
import { isFinal } from "../core/task-states.ts";
import { type CapacityReading, computeCapacity, fitsCaps } from "./capacity.ts";
import { footprintClash, noteFootprintWait } from "./footprint-wait.ts";
import { deliveryPending, launchAttempt } from "./launch-attempt.ts";
import { activeLimits } from "./provider-limit-events.ts";
import { budgetAllows, holdForBudget, releaseStalledRun, reserveLaunch } from "./spend-governor.ts";
import { keyOf, type LiveTask, type SupervisorCore } from "./supervisor-core.ts";
import { afterFinal, moveTask } from "./task-bookkeeping.ts";

// One scheduling pass, deterministic over the mirror: wake tasks whose backoff or park is over,
// launch ready tasks by strategy while capacity, caps, provider limits and the stagger allow, and
// arm one timer for the next moment something can change. Runs only through `core.kick()`.

/** One scheduling pass. */
export function tick(core: SupervisorCore): void {
  if (core.stopping) return;
  const { clock, config, store } = core.deps;
  const now = clock.now();
  let wakeAt = Number.POSITIVE_INFINITY;
  for (const task of core.tasks.values()) {
    if (task.state === "parked" && task.budgetWait && task.runAt === undefined) {
      const allows = budgetAllows(core, task);
      if (allows.ok) {
        delete task.budgetWait;
        moveTask(core, task, "ready", "the budget allows another attempt");
      } else if (allows.recheckAt !== undefined) wakeAt = Math.min(wakeAt, allows.recheckAt);
    } else if ((task.state === "retry_wait" || task.state === "parked") && task.runAt !== undefined) {
      if (task.runAt <= now)
        moveTask(core, task, "ready", task.state === "parked" ? "rate limit reset" : "backoff over");
      else wakeAt = Math.min(wakeAt, task.runAt);
    }
  }
  const runningTasks = [...core.tasks.values()].filter((task) => task.state === "running");
  const capacity = capacityNow(core, runningTasks.length);
  let free = capacity.free;
  const limits = activeLimits(core, now);
  const runningShape = runningTasks.map((task) => ({ dir: task.spec.dir, model: task.model }));
  if (free > 0) {
    for (const task of readyInLaunchOrder(core)) {
      if (free <= 0) break;
      if (fitsCaps(config.capacity, runningShape, { dir: task.spec.dir, model: task.model }, limits))
        continue;
      const clash = footprintClash(task, runningTasks);
      if (clash) {
        noteFootprintWait(core, task, clash);
        continue;
      }
      const gap = core.stagger.next(now, runningShape.length);
      if (gap.notBefore > now) {
        wakeAt = Math.min(wakeAt, gap.notBefore);
        break;
      }
      // The attempt's estimated cost is reserved first; past a cap it does not launch.
      const attemptId = newId("att");
      const capHit = deliveryPending(core, task) ? undefined : reserveLaunch(core, task, attemptId);
      if (capHit) {
        const held = holdForBudget(core, task, capHit);
        moveTask(core, task, held, task.budgetWait);
        if (held === "blocked") afterFinal(core, task, "blocked");
        continue;
      }
      core.stagger.recordLaunch(now);
      store.recordEvent({
        type: "supervisor.launch",
        ...task.key,
        gapMs: gap.gapMs,
        reason: gap.reason,
        slots: capacity.slots,
        running: runningShape.length,
      });
      runningShape.push({ dir: task.spec.dir, model: task.model });
      runningTasks.push(task);
      delete task.waitingFor;
      launchAttempt(core, task, attemptId);
      free--;
    }
  }
  for (const batch of core.batches.values()) releaseStalledRun(core, batch);
  const lapse = core.providerLimits.nextLapse();
  if (lapse !== undefined) wakeAt = Math.min(wakeAt, Math.max(lapse, now + 1));
  armWakeTimer(core, wakeAt);
}

/** How many attempts may run now, and what limits it. */
export function capacityNow(core: SupervisorCore, running: number): CapacityReading {
  const remote = core.deps.engine.capacity?.();
  if (remote) {
    // Attempts run on other hosts: their reported slots decide, not this machine's memory.
    return {
      slots: remote.slots,
      used: running,
      free: Math.max(0, remote.slots - running),
      limitedBy: "fleet",
      freeMemoryMb: core.deps.freeMemoryMb(),
      ramPerWorkerMb: core.deps.engine.ramPerAttemptMb,
      detail: remote.why,
    };
  }
  return computeCapacity(core.deps.config.capacity, {
    freeMemoryMb: core.deps.freeMemoryMb(),
    running,
    engineRamMb: core.deps.engine.ramPerAttemptMb,
  });
}

/** Arms the one wake-up timer for `at` (on the injected clock), replacing an earlier one. */
function armWakeTimer(core: SupervisorCore, at: number): void {
  if (at === core.timerAt) return;
  core.timer?.cancel();
  core.timer = undefined;
  core.timerAt = at;
  if (!Number.isFinite(at)) return;
  core.timer = core.deps.clock.setTimeout(
    () => {
      core.timerAt = Number.POSITIVE_INFINITY;
      core.kick();
    },
    Math.max(0, at - core.deps.clock.now()),
  );
}

/** Ready tasks in launch order: older batches first, each ordered by its strategy. */
function readyInLaunchOrder(core: SupervisorCore): LiveTask[] {
  const out: LiveTask[] = [];
  const batches = [...core.batches.values()].sort((a, b) => a.createdAt - b.createdAt);
  for (const batch of batches) {
    const ready: string[] = [];
    const running: string[] = [];
    const done: string[] = [];
    for (const spec of batch.specs) {
      const state = batch.states.get(spec.id);
      if (state === "ready") ready.push(spec.id);
      else if (state === "running") running.push(spec.id);
      else if (state && isFinal(state)) done.push(spec.id);
    }
    if (ready.length === 0) continue;
    for (const id of batch.order.order(batch.strategy, { ready, running, done })) {
      const task = core.tasks.get(keyOf({ batchId: batch.id, taskId: id }));
      if (task) out.push(task);
    }
  }
  return out;
}
