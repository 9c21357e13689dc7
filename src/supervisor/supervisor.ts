import { DroverError, type InputIssue } from "../core/errors.ts";
import { every } from "../core/every.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { AttemptStop, Engine } from "../engines/contract.ts";
import type { TaskKey } from "../store/store.ts";
import { adoptOrphanBatch, recoverOwnWork } from "./recover-attempts.ts";
import { requeueFinishedTask } from "./requeue-task.ts";
import { tick } from "./schedule-tick.ts";
import { settleClosedReservations } from "./spend-governor.ts";
import { type SubmitInput, type SubmitResult, submitBatch } from "./submit-batch.ts";
import { engineFor, keyOf, SupervisorCore, type SupervisorDeps } from "./supervisor-core.ts";
import { type SupervisorStatus, supervisorStatus } from "./supervisor-status.ts";
import { cancelLiveTask } from "./task-bookkeeping.ts";

export type { SubmitInput, SubmitResult } from "./submit-batch.ts";
export type { SupervisorDeps } from "./supervisor-core.ts";
export type { SupervisorStatus } from "./supervisor-status.ts";

/**
 * The "pulse", done right: a deterministic scheduler over the store. Ready tasks launch by
 * strategy while capacity (RAM, caps) and the stagger allow; every attempt's result goes through
 * one decision (outcome, BLOCKED protocol, retry policy); leases are renewed by heartbeats, and a
 * restarted supervisor re-adopts what its predecessor left running. Its loop never throws.
 *
 * This class is the public facade and the lifecycle (start, stop, halt); each job lives in its own
 * file over a shared `SupervisorCore`: schedule-tick, launch-attempt, settle-attempt (+ plan-step),
 * provider-limit-events, recover-attempts, task-bookkeeping, submit-batch, requeue-task, status.
 */
export class Supervisor {
  readonly #core: SupervisorCore;

  constructor(deps: SupervisorDeps) {
    this.#core = new SupervisorCore(deps, tick);
    deps.store.onFailure((error) => this.#halt(error));
  }

  /** Why the supervisor halted (storage cannot be written), if it did. */
  get failure(): DroverError | undefined {
    return this.#core.deps.store.failure;
  }

  /** Loads unfinished work of this owner, re-adopts or closes what a crashed predecessor left running, and starts. */
  async start(): Promise<void> {
    const core = this.#core;
    if (core.started) return;
    core.started = true;
    await recoverOwnWork(core);
    settleClosedReservations(core);
    const { clock, store, config } = core.deps;
    const { leaseTtl } = config;
    core.heartbeat = every(
      clock,
      Math.max(50, Math.floor(leaseTtl / 3)),
      () => store.renewLeases(core.instance, clock.now() + leaseTtl),
      (error) => core.warn("lease_heartbeat", error),
    );
    core.deps.engine.onCapacityChange?.(() => core.kick());
    core.kick();
  }

  /**
   * Takes over an unfinished batch whose supervisor is gone (a `drover run` killed with -9):
   * becomes its owner, follows the sessions still alive, retries the attempts whose session is
   * gone, and runs the rest. Refused while the batch's own supervisor still runs it.
   */
  async adoptBatch(batchId: string): Promise<void> {
    await adoptOrphanBatch(this.#core, batchId);
    settleClosedReservations(this.#core);
  }

  /** Stores a batch (skipping tasks whose idempotency key exists) and schedules it. */
  submit(input: SubmitInput): SubmitResult {
    const result = submitBatch(this.#core, input);
    if (result.created.length > 0) this.#core.kick();
    return result;
  }

  /** Resolves when every task of the batch is final. */
  whenBatchDone(batchId: string): Promise<void> {
    const batch = this.#core.batches.get(batchId);
    if (!batch || this.#core.halted) return Promise.resolve();
    return new Promise((resolve) => batch.waiters.push(resolve));
  }

  cancelBatch(batchId: string, reason: string): void {
    const core = this.#core;
    const batch = core.batches.get(batchId);
    if (!batch) throw new DroverError("not_found", `no running batch ${batchId}`);
    batch.cancelling = true;
    for (const spec of batch.specs) {
      const task = core.tasks.get(keyOf({ batchId, taskId: spec.id }));
      if (task) cancelLiveTask(core, task, reason);
    }
    core.kick();
  }

  cancelTask(key: TaskKey, reason: string): void {
    const task = this.#core.tasks.get(keyOf(key));
    if (!task) throw new DroverError("not_found", `no unfinished task ${keyOf(key)}`);
    cancelLiveTask(this.#core, task, reason);
    this.#core.kick();
  }

  /** Puts a failed, blocked, timed-out or cancelled task (and the dependents it blocked) back in the queue. */
  retryTask(key: TaskKey): void {
    requeueFinishedTask(this.#core, key);
    this.#core.kick();
  }

  /**
   * `retry --deliver`: a task that failed only in its delivery (push, pull request, merge, gate) is
   * queued again to deliver its branch once more, without running the agent.
   */
  retryDelivery(key: TaskKey): void {
    const { store, clock } = this.#core.deps;
    const record = store.getTask(key);
    const workspace = store.workspaces.get(key.batchId, key.taskId);
    if (!record || !workspace) throw new DroverError("not_found", `no task ${keyOf(key)} with a worktree`);
    if (record.state !== "failed" || workspace.delivery?.state !== "failed")
      throw new DroverError(
        "conflict",
        `task ${keyOf(key)} is ${record.state}${workspace.delivery ? ` (delivery ${workspace.delivery.state})` : ""}; only a task whose delivery failed can be delivered again`,
      );
    store.workspaces.delivered(key, { ...workspace.delivery, state: "pending", at: clock.now() });
    requeueFinishedTask(this.#core, key);
    this.#core.kick();
  }

  /** Problems with tasks' repositories (not a git repository, unknown base, dirty tree), before anything is stored. */
  checkWorkspaces(specs: readonly TaskSpec[], source: string): Promise<InputIssue[]> {
    const workspaces = this.#core.deps.workspaces;
    if (!workspaces || !specs.some((spec) => spec.workspace)) return Promise.resolve([]);
    return workspaces.check(specs, source);
  }

  /** The engine a task runs on (its `engine`, else the default); unknown names throw bad_input. */
  engineOf(spec: TaskSpec): Engine {
    return engineFor(this.#core, spec);
  }

  status(): SupervisorStatus {
    return supervisorStatus(this.#core);
  }

  /**
   * Stops scheduling. `cancel`: running attempts are aborted and their tasks cancelled.
   * `handback`: running attempts get `graceMs` (on the injected clock) to finish, then are aborted
   * and their tasks returned to `ready` with their session kept, to continue after a restart.
   */
  async stop(mode: "cancel" | "handback", graceMs = 0): Promise<void> {
    const core = this.#core;
    core.stopping = true;
    core.timer?.cancel();
    core.heartbeat?.cancel();
    const running = [...core.running.values()];
    if (mode === "handback" && graceMs > 0 && running.length > 0) {
      let grace: { cancel(): void } | undefined;
      await Promise.race([
        Promise.all(running),
        new Promise<void>((resolve) => {
          grace = core.deps.clock.setTimeout(resolve, graceMs);
        }),
      ]);
      grace?.cancel();
    }
    const stop: AttemptStop =
      mode === "cancel"
        ? { kind: "cancel", message: "drover is stopping" }
        : { kind: "shutdown", message: "drover is stopping" };
    for (const task of core.tasks.values()) task.controller?.abort(stop);
    await Promise.all(core.running.values());
  }

  /**
   * Storage cannot be written: launch nothing more, abort running attempts (their sessions are
   * kept, and their tasks stay leased `running` in the store, to be picked up after a restart),
   * and let everyone waiting on a batch go on, to report what the store still shows.
   */
  #halt(error: DroverError): void {
    const core = this.#core;
    if (core.halted) return;
    core.halted = true;
    core.stopping = true;
    core.timer?.cancel();
    core.heartbeat?.cancel();
    const stop: AttemptStop = { kind: "shutdown", message: error.message };
    for (const task of core.tasks.values()) task.controller?.abort(stop);
    for (const batch of core.batches.values()) {
      for (const resolve of batch.waiters.splice(0)) resolve();
    }
  }
}
