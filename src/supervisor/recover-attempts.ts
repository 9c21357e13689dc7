import { DroverError } from "../core/errors.ts";
import { zeroTokens } from "../core/liveness.ts";
import { isProcessAlive } from "../core/process-alive.ts";
import type { TaskRecord } from "../store/store.ts";
import { runAttempt } from "./launch-attempt.ts";
import { settleAttempt } from "./settle-attempt.ts";
import { engineFor, type SupervisorCore } from "./supervisor-core.ts";
import { checkBatchDone, liveTask, loadBatch, moveTask } from "./task-bookkeeping.ts";

// Picking up what a stopped supervisor left: at start for this owner's own batches, and on
// `adoptBatch` for a dead `drover run`'s batch. A task left `running` is followed if its session
// still lives, else its attempt is closed as a retryable crash; nothing is run twice.

/** Mirrors this owner's unfinished work and recovers the attempts a crashed predecessor left running. */
export async function recoverOwnWork(core: SupervisorCore): Promise<void> {
  const { store, owner } = core.deps;
  const active = store.listActiveTasks(owner);
  for (const batchId of new Set(active.map((task) => task.batchId))) loadBatch(core, batchId);
  for (const record of active) {
    if (record.state === "running") await recoverRunning(core, record);
  }
  for (const batch of core.batches.values()) checkBatchDone(core, batch);
}

/**
 * Takes over an unfinished batch whose supervisor is gone (a `drover run` killed with -9):
 * becomes its owner, follows the sessions still alive, retries the attempts whose session is
 * gone, and schedules the rest. Refused while the batch's own supervisor still runs it.
 */
export async function adoptOrphanBatch(core: SupervisorCore, batchId: string): Promise<void> {
  const { store, owner, clock } = core.deps;
  const record = store.getBatch(batchId);
  if (!record) throw new DroverError("not_found", `no batch ${batchId}`);
  if (record.finishedAt)
    throw new DroverError("conflict", `batch ${batchId} has finished; nothing to resume`);
  if (core.batches.has(batchId)) return;
  const holder = record.owner;
  if (holder && holder !== owner && supervisorStillRuns(holder, store.listTasks(batchId), clock.now())) {
    throw new DroverError(
      "conflict",
      `batch ${batchId} is still being run by ${describeOwner(holder)}; wait for it, or cancel it`,
    );
  }
  store.setBatchOwner(batchId, owner);
  loadBatch(core, batchId);
  for (const task of store.listTasks(batchId)) {
    if (task.state === "running") await recoverRunning(core, task);
  }
  const live = core.batches.get(batchId);
  if (live) checkBatchDone(core, live);
  core.kick();
}

/** A task left `running` by a crashed predecessor: follow its session if it lives, else close the attempt. */
async function recoverRunning(core: SupervisorCore, record: TaskRecord): Promise<void> {
  const { store, clock, config } = core.deps;
  const task = liveTask(core, record.batchId, record.id);
  const engine = engineFor(core, task.spec);
  const attempt = store.getOpenAttempt(task.key);
  if (!attempt) {
    moveTask(core, task, "ready", "recovered: the supervisor stopped before the attempt began");
    return;
  }
  const alive = engine.holdsAttempt
    ? await engine
        .holdsAttempt({
          batchId: task.key.batchId,
          attemptId: attempt.id,
          ...(attempt.server ? { server: attempt.server } : {}),
        })
        .catch(() => false)
    : attempt.sessionId
      ? await engine.hasSession(attempt.sessionId, attempt.server).catch(() => false)
      : false;
  if (alive) {
    store.takeLease(task.key, core.instance, clock.now() + config.leaseTtl);
    store.recordEvent({
      type: "supervisor.recovered",
      ...task.key,
      attemptId: attempt.id,
      action: "readopted",
      detail: attempt.sessionId ? `following session ${attempt.sessionId}` : "following its attempt",
    });
    runAttempt(core, task, attempt.id, attempt.startedAt, {
      prompt: "",
      mode: "follow",
      ...(attempt.sessionId ? { sessionId: attempt.sessionId } : {}),
      ...(attempt.server ? { server: attempt.server } : {}),
    });
    return;
  }
  store.recordEvent({
    type: "supervisor.recovered",
    ...task.key,
    attemptId: attempt.id,
    action: "closed",
    detail: "its session is gone",
  });
  settleAttempt(core, task, attempt.id, attempt.startedAt, {
    status: "failed",
    failure: {
      type: "engine_crashed",
      message: "the supervisor stopped and the session is gone",
      retryable: true,
    },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  });
}

/**
 * Whether the supervisor `owner` still runs its batch: a daemon always counts as running; a
 * `drover run` (`run:<pid>:<ts>`) while its process lives and some running task's lease is fresh.
 */
function supervisorStillRuns(owner: string, tasks: readonly TaskRecord[], now: number): boolean {
  const pid = Number(/^run:(\d+):/.exec(owner)?.[1]);
  if (!pid) return true;
  if (!isProcessAlive(pid)) return false;
  const running = tasks.filter((task) => task.state === "running");
  return running.length === 0 || running.some((task) => (task.leaseUntil ?? 0) > now);
}

function describeOwner(owner: string): string {
  const pid = /^run:(\d+):/.exec(owner)?.[1];
  return pid ? `drover run (pid ${pid})` : `the ${owner}`;
}
