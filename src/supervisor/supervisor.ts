import type { DroverConfig } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { DroverError, errorMessage } from "../core/errors.ts";
import { every } from "../core/every.ts";
import { newId } from "../core/ids.ts";
import { zeroTokens } from "../core/liveness.ts";
import type { Outcome } from "../core/outcome.ts";
import { agentReportJsonSchema } from "../core/outcome-schema.ts";
import { isProcessAlive } from "../core/process-alive.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { isFinal, type TaskState } from "../core/task-states.ts";
import type { AttemptResult, AttemptStop, Engine } from "../engines/contract.ts";
import { DependencyGraph } from "../queue/dependency-graph.ts";
import { LaunchOrder, type Strategy } from "../queue/strategy.ts";
import type { AttemptKind, Store, TaskKey, TaskPatch, TaskRecord } from "../store/store.ts";
import { buildTaskPrompt } from "./build-prompt.ts";
import { type CapacityReading, computeCapacity, fitsCaps } from "./capacity.ts";
import { decideNext, type NextStep } from "./decide-next.ts";
import { type ProviderLimitChange, ProviderLimits } from "./provider-limits.ts";
import { LaunchStagger } from "./stagger.ts";

export interface SupervisorDeps {
  store: Store;
  engine: Engine;
  clock: Clock;
  config: DroverConfig;
  /** Free memory in MB, read each time capacity is computed (injected so tests control it). */
  freeMemoryMb: () => number;
  /** Which batches this supervisor runs: `daemon`, or `run:<id>` for one `drover run`. */
  owner: string;
  random?: () => number;
}

/** One task the supervisor is responsible for, mirrored from the store. */
interface LiveTask {
  key: TaskKey;
  spec: TaskSpec;
  state: TaskState;
  model: string;
  freshAttempts: number;
  continuations: number;
  recoveryUsed: boolean;
  /** Model requests failed with a provider error, all attempts and OpenCode's retries included. */
  failedRequests: number;
  pendingPrompt?: string;
  pendingKind?: AttemptKind;
  sessionId?: string;
  sessionServer?: string;
  runAt?: number;
  controller?: AbortController;
}

interface LiveBatch {
  id: string;
  specs: TaskSpec[];
  graph: DependencyGraph;
  /** Branch ranks and positions, computed once per batch for ordering ready tasks. */
  order: LaunchOrder;
  strategy: Strategy;
  createdAt: number;
  /** States of every task of the batch, final ones included (for dependency decisions). */
  states: Map<string, TaskState>;
  /** How many tasks of the batch are not final yet (kept with `states`, so ending a task is O(1)). */
  unfinished: number;
  cancelling: boolean;
  waiters: (() => void)[];
}

export interface SubmitInput {
  specs: readonly TaskSpec[];
  source: string;
  strategy?: Strategy;
  /** Per task id: a key that makes submitting the same task twice create it once. */
  idempotencyKeys?: ReadonlyMap<string, string>;
}

export interface SubmitResult {
  batchId: string;
  created: string[];
  /** Tasks whose idempotency key already existed: where they live. */
  existing: { taskId: string; batchId: string; existingTaskId: string }[];
}

export interface SupervisorStatus {
  owner: string;
  capacity: CapacityReading;
  running: number;
  byState: Record<string, number>;
  providerLimits: { key: string; limit: number; until: number }[];
  nextLaunchAt?: number;
  why: string;
}

const keyOf = (key: TaskKey) => `${key.batchId}/${key.taskId}`;

interface PlannedStep {
  state: TaskState;
  reason?: string;
  patch: TaskPatch;
  outcome?: Outcome;
  /** For a task going back to ready/parked with a prompt: what kind its next attempt is. */
  pendingKind?: AttemptKind;
}

/**
 * The "pulse", done right: a deterministic scheduler over the store. Ready tasks launch by
 * strategy while capacity (RAM, caps) and the stagger allow; every attempt's result goes through
 * one decision (outcome, BLOCKED protocol, retry policy); leases are renewed by heartbeats, and a
 * restarted supervisor re-adopts what its predecessor left running. Its loop never throws.
 */
export class Supervisor {
  readonly #deps: SupervisorDeps;
  readonly #tasks = new Map<string, LiveTask>();
  readonly #batches = new Map<string, LiveBatch>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #stagger: LaunchStagger;
  readonly #providerLimits: ProviderLimits;
  readonly #instance = newId("run");
  #timer: { cancel(): void } | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #heartbeat: { cancel(): void } | undefined;
  #tickQueued = false;
  #stopping = false;
  #started = false;
  #halted = false;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#stagger = new LaunchStagger(deps.config.stagger, deps.random);
    this.#providerLimits = new ProviderLimits({
      cooldownMs: deps.config.rateLimitCooldown,
      ceiling: deps.config.capacity.maxWorkers,
    });
    deps.store.onFailure((error) => this.#halt(error));
  }

  /** Why the supervisor halted (storage cannot be written), if it did. */
  get failure(): DroverError | undefined {
    return this.#deps.store.failure;
  }

  /** Loads unfinished work of this owner, re-adopts or closes what a crashed predecessor left running, and starts. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const active = this.#deps.store.listActiveTasks(this.#deps.owner);
    for (const batchId of new Set(active.map((task) => task.batchId))) this.#loadBatch(batchId);
    for (const record of active) {
      if (record.state === "running") await this.#recover(record);
    }
    for (const batch of this.#batches.values()) this.#checkBatchDone(batch);
    const { leaseTtl } = this.#deps.config;
    this.#heartbeat = every(
      this.#deps.clock,
      Math.max(50, Math.floor(leaseTtl / 3)),
      () => this.#deps.store.renewLeases(this.#instance, this.#deps.clock.now() + leaseTtl),
      (error) => this.#warn("lease_heartbeat", error),
    );
    this.#kick();
  }

  /**
   * Takes over an unfinished batch whose supervisor is gone (a `drover run` killed with -9):
   * becomes its owner, follows the sessions still alive, retries the attempts whose session is
   * gone, and runs the rest. Refused while the batch's own supervisor still runs it.
   */
  async adoptBatch(batchId: string): Promise<void> {
    const { store, owner, clock } = this.#deps;
    const record = store.getBatch(batchId);
    if (!record) throw new DroverError("not_found", `no batch ${batchId}`);
    if (record.finishedAt)
      throw new DroverError("conflict", `batch ${batchId} has finished; nothing to resume`);
    if (this.#batches.has(batchId)) return;
    const holder = record.owner;
    if (holder && holder !== owner && supervisorStillRuns(holder, store.listTasks(batchId), clock.now())) {
      throw new DroverError(
        "conflict",
        `batch ${batchId} is still being run by ${describeOwner(holder)}; wait for it, or cancel it`,
      );
    }
    store.setBatchOwner(batchId, owner);
    this.#loadBatch(batchId);
    for (const task of store.listTasks(batchId)) {
      if (task.state === "running") await this.#recover(task);
    }
    const live = this.#batches.get(batchId);
    if (live) this.#checkBatchDone(live);
    this.#kick();
  }

  /** Stores a batch (skipping tasks whose idempotency key exists) and schedules it. */
  submit(input: SubmitInput): SubmitResult {
    this.#deps.store.assertWritable();
    const existing: SubmitResult["existing"] = [];
    const fresh: TaskSpec[] = [];
    const keys = new Map<string, string>();
    for (const spec of input.specs) {
      const key = input.idempotencyKeys?.get(spec.id);
      const found = key ? this.#deps.store.findTaskByIdempotencyKey(key) : undefined;
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
    const strategy = input.strategy ?? this.#deps.config.strategy;
    const graph = new DependencyGraph(specs);
    const initialStates = new Map(specs.map((spec) => [spec.id, graph.initialState(spec.id)]));
    this.#deps.store.createBatch(batchId, input.source, specs, {
      strategy,
      owner: this.#deps.owner,
      idempotencyKeys: keys,
      initialStates,
    });
    // Mirror the stored batch from what we just wrote, rather than reading 10,000 rows back.
    this.#batches.set(batchId, {
      id: batchId,
      specs,
      graph,
      order: new LaunchOrder(specs.map((spec) => spec.id)),
      strategy,
      createdAt: this.#deps.clock.now(),
      states: new Map(initialStates),
      unfinished: specs.length,
      cancelling: false,
      waiters: [],
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
      this.#tasks.set(keyOf(task.key), task);
    }
    this.#kick();
    return { batchId, created: specs.map((spec) => spec.id), existing };
  }

  /** Resolves when every task of the batch is final. */
  whenBatchDone(batchId: string): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (!batch || this.#halted) return Promise.resolve();
    return new Promise((resolve) => batch.waiters.push(resolve));
  }

  cancelBatch(batchId: string, reason: string): void {
    const batch = this.#batches.get(batchId);
    if (!batch) throw new DroverError("not_found", `no running batch ${batchId}`);
    batch.cancelling = true;
    for (const spec of batch.specs) {
      const task = this.#tasks.get(keyOf({ batchId, taskId: spec.id }));
      if (task) this.#cancelTask(task, reason);
    }
    this.#kick();
  }

  cancelTask(key: TaskKey, reason: string): void {
    const task = this.#tasks.get(keyOf(key));
    if (!task) throw new DroverError("not_found", `no unfinished task ${keyOf(key)}`);
    this.#cancelTask(task, reason);
    this.#kick();
  }

  /** Puts a failed, blocked, timed-out or cancelled task (and the dependents it blocked) back in the queue. */
  retryTask(key: TaskKey): void {
    const record = this.#deps.store.getTask(key);
    if (!record) throw new DroverError("not_found", `no task ${keyOf(key)}`);
    if (!isFinal(record.state) || record.state === "succeeded") {
      throw new DroverError(
        "conflict",
        `task ${keyOf(key)} is ${record.state}; only failed, blocked, timed-out or cancelled tasks can be retried`,
      );
    }
    if (!this.#batches.has(key.batchId)) this.#loadBatch(key.batchId);
    const batch = this.#batches.get(key.batchId) as LiveBatch;
    const reset: TaskPatch = {
      freshAttempts: 0,
      continuations: 0,
      recoveryUsed: false,
      failedRequests: 0,
      pendingPrompt: null,
      sessionId: null,
      sessionServer: null,
      runAt: null,
      model: record.spec.model,
    };
    const requeue = (taskId: string) => {
      const current = this.#deps.store.getTask({ batchId: key.batchId, taskId });
      if (!current) return;
      this.#deps.store.transitionTask({ batchId: key.batchId, taskId }, "queued", "retry requested", reset);
      const task = this.#adopt({
        ...current,
        state: "queued",
        freshAttempts: 0,
        continuations: 0,
        recoveryUsed: false,
        failedRequests: 0,
        model: current.spec.model,
      });
      setState(batch, taskId, "queued");
      this.#move(task, this.#readiness(batch, task));
    };
    requeue(key.taskId);
    for (const dependent of batch.graph.dependentsOf(key.taskId)) {
      if (batch.states.get(dependent) === "blocked") requeue(dependent);
    }
    this.#kick();
  }

  status(): SupervisorStatus {
    const running = [...this.#tasks.values()].filter((task) => task.state === "running").length;
    const capacity = this.#capacity(running);
    const byState: Record<string, number> = {};
    for (const task of this.#tasks.values()) byState[task.state] = (byState[task.state] ?? 0) + 1;
    const now = this.#deps.clock.now();
    const limits = this.#providerLimits.list(now);
    const why =
      capacity.limitedBy === "memory"
        ? `memory: ${capacity.freeMemoryMb} MB free, ${this.#deps.config.capacity.ramReserveMb} MB reserved, ${capacity.ramPerWorkerMb} MB per worker`
        : capacity.limitedBy === "minimum"
          ? "memory is below the reserve: running one at a time"
          : `maxWorkers ${this.#deps.config.capacity.maxWorkers}`;
    return {
      owner: this.#deps.owner,
      capacity,
      running,
      byState,
      providerLimits: limits,
      ...(Number.isFinite(this.#timerAt) ? { nextLaunchAt: this.#timerAt } : {}),
      why,
    };
  }

  /**
   * Stops scheduling. `cancel`: running attempts are aborted and their tasks cancelled.
   * `handback`: running attempts get `graceMs` to finish, then are aborted and their tasks
   * returned to `ready` with their session kept, to continue after a restart.
   */
  async stop(mode: "cancel" | "handback", graceMs = 0): Promise<void> {
    this.#stopping = true;
    this.#timer?.cancel();
    this.#heartbeat?.cancel();
    const running = [...this.#running.values()];
    if (mode === "handback" && graceMs > 0 && running.length > 0) {
      await Promise.race([
        Promise.all(running),
        new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    const stop: AttemptStop =
      mode === "cancel"
        ? { kind: "cancel", message: "drover is stopping" }
        : { kind: "shutdown", message: "drover is stopping" };
    for (const task of this.#tasks.values()) task.controller?.abort(stop);
    await Promise.all(this.#running.values());
  }

  /**
   * Storage cannot be written: launch nothing more, abort running attempts (their sessions are
   * kept, and their tasks stay leased `running` in the store, to be picked up after a restart),
   * and let everyone waiting on a batch go on, to report what the store still shows.
   */
  #halt(error: DroverError): void {
    if (this.#halted) return;
    this.#halted = true;
    this.#stopping = true;
    this.#timer?.cancel();
    this.#heartbeat?.cancel();
    const stop: AttemptStop = { kind: "shutdown", message: error.message };
    for (const task of this.#tasks.values()) task.controller?.abort(stop);
    for (const batch of this.#batches.values()) {
      for (const resolve of batch.waiters.splice(0)) resolve();
    }
  }

  /** Background work never throws: a failure becomes a `warning` event (shown live even if storage is down). */
  #warn(code: string, error: unknown, taskId?: string): void {
    try {
      this.#deps.store.reportEvent({
        type: "warning",
        code,
        message: errorMessage(error),
        ...(taskId ? { taskId } : {}),
      });
    } catch {
      // Nothing is left to report through.
    }
  }

  // ── scheduling ────────────────────────────────────────────────────────────────────────────

  #kick(): void {
    if (this.#tickQueued || this.#stopping) return;
    this.#tickQueued = true;
    queueMicrotask(() => {
      this.#tickQueued = false;
      try {
        this.#tick();
      } catch (error) {
        this.#warn("supervisor_tick", error);
      }
    });
  }

  #tick(): void {
    if (this.#stopping) return;
    const now = this.#deps.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const task of this.#tasks.values()) {
      if ((task.state === "retry_wait" || task.state === "parked") && task.runAt !== undefined) {
        if (task.runAt <= now)
          this.#move(task, "ready", task.state === "parked" ? "rate limit reset" : "backoff over");
        else wakeAt = Math.min(wakeAt, task.runAt);
      }
    }
    const runningTasks = [...this.#tasks.values()].filter((task) => task.state === "running");
    const capacity = this.#capacity(runningTasks.length);
    let free = capacity.free;
    const limits = this.#activeLimits(now);
    const runningShape = runningTasks.map((task) => ({ dir: task.spec.dir, model: task.model }));
    if (free > 0) {
      for (const task of this.#candidates()) {
        if (free <= 0) break;
        if (
          fitsCaps(
            this.#deps.config.capacity,
            runningShape,
            { dir: task.spec.dir, model: task.model },
            limits,
          )
        )
          continue;
        const gap = this.#stagger.next(now, runningShape.length);
        if (gap.notBefore > now) {
          wakeAt = Math.min(wakeAt, gap.notBefore);
          break;
        }
        this.#stagger.recordLaunch(now);
        this.#deps.store.recordEvent({
          type: "supervisor.launch",
          ...task.key,
          gapMs: gap.gapMs,
          reason: gap.reason,
          slots: capacity.slots,
          running: runningShape.length,
        });
        runningShape.push({ dir: task.spec.dir, model: task.model });
        this.#launch(task);
        free--;
      }
    }
    const lapse = this.#providerLimits.nextLapse();
    if (lapse !== undefined) wakeAt = Math.min(wakeAt, Math.max(lapse, now + 1));
    this.#schedule(wakeAt);
  }

  #schedule(at: number): void {
    if (at === this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (!Number.isFinite(at)) return;
    this.#timer = this.#deps.clock.setTimeout(
      () => {
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#kick();
      },
      Math.max(0, at - this.#deps.clock.now()),
    );
  }

  /** Ready tasks in launch order: older batches first, each ordered by its strategy. */
  #candidates(): LiveTask[] {
    const out: LiveTask[] = [];
    const batches = [...this.#batches.values()].sort((a, b) => a.createdAt - b.createdAt);
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
        const task = this.#tasks.get(keyOf({ batchId: batch.id, taskId: id }));
        if (task) out.push(task);
      }
    }
    return out;
  }

  #capacity(running: number): CapacityReading {
    return computeCapacity(this.#deps.config.capacity, {
      freeMemoryMb: this.#deps.freeMemoryMb(),
      running,
      engine: this.#deps.engine.name,
    });
  }

  #activeLimits(now: number): Map<string, number> {
    const { limits, lapsed } = this.#providerLimits.active(now);
    for (const change of lapsed) this.#recordLimit(change);
    return limits;
  }

  #recordLimit(change: ProviderLimitChange): void {
    this.#deps.store.recordEvent({
      type: "supervisor.limit",
      key: change.key,
      limit: change.limit,
      ...(change.until !== undefined ? { until: change.until } : {}),
      reason: change.reason,
    });
  }

  // ── running attempts ──────────────────────────────────────────────────────────────────────

  #launch(task: LiveTask): void {
    const { config, store, clock } = this.#deps;
    const kind: AttemptKind =
      task.pendingKind ?? (task.freshAttempts > 0 && task.model !== task.spec.model ? "escalation" : "fresh");
    const isFresh = kind === "fresh" || kind === "escalation";
    const freshAttempts = isFresh ? task.freshAttempts + 1 : task.freshAttempts;
    this.#move(task, "running", undefined, {
      leaseOwner: this.#instance,
      leaseUntil: clock.now() + config.leaseTtl,
      freshAttempts,
      ...(isFresh ? { continuations: 0, sessionId: null, sessionServer: null } : {}),
    });
    task.freshAttempts = freshAttempts;
    if (isFresh) {
      task.continuations = 0;
      delete task.sessionId;
      delete task.sessionServer;
    }
    const batch = this.#batches.get(task.key.batchId) as LiveBatch;
    const attemptId = newId("att");
    const prompt =
      task.pendingPrompt ?? buildTaskPrompt(task.spec, batch.specs, config.outcome === "structured");
    store.startAttempt(task.key, attemptId, this.#deps.engine.name, kind, task.model, prompt);
    // A runner's `--continue` starts its first attempt in the runner's last session.
    const carried = isFresh && task.freshAttempts === 1 ? task.spec.continueSession : undefined;
    const sessionId = isFresh ? carried?.sessionId : task.sessionId;
    const server = isFresh ? carried?.server : task.sessionServer;
    this.#runAttempt(task, attemptId, clock.now(), {
      prompt,
      mode: "prompt",
      ...(sessionId ? { sessionId } : {}),
      ...(server ? { server } : {}),
    });
  }

  /** Runs (or, in follow mode, re-follows) an attempt and settles its result; tracked in #running. */
  #runAttempt(
    task: LiveTask,
    attemptId: string,
    startedAt: number,
    how: { prompt: string; mode: "prompt" | "follow"; sessionId?: string; server?: string },
  ): void {
    const { config, store, clock, engine } = this.#deps;
    const controller = new AbortController();
    task.controller = controller;
    const remaining = Math.max(1, task.spec.timeoutMs - (clock.now() - startedAt));
    const timer = clock.setTimeout(() => {
      if (!controller.signal.aborted) {
        controller.abort({
          kind: "timeout",
          message: `time limit of ${Math.round(task.spec.timeoutMs / 1000)}s reached`,
        } satisfies AttemptStop);
      }
    }, remaining);
    const id = keyOf(task.key);
    const run = engine
      .runAttempt({
        taskId: task.key.taskId,
        attemptId,
        prompt: how.prompt,
        title: task.spec.title,
        dir: task.spec.dir,
        model: task.model,
        ...(task.spec.agent ? { agent: task.spec.agent } : {}),
        ...(task.spec.system ? { system: task.spec.system } : {}),
        files: how.mode === "prompt" && !how.sessionId ? task.spec.files : [],
        ...(how.sessionId ? { sessionId: how.sessionId } : {}),
        ...(how.server ? { server: how.server } : {}),
        mode: how.mode,
        startedAt,
        ...(config.outcome === "structured" ? { reportSchema: agentReportJsonSchema() } : {}),
        parkRateLimitAfterMs: config.parkRateLimitAfter,
        maxFailedRequests: Math.max(1, config.retry.providerRequests - task.failedRequests),
        signal: controller.signal,
        onSession: (sessionId, server) => {
          task.sessionId = sessionId;
          task.sessionServer = server;
          try {
            store.recordSession(task.key, attemptId, sessionId, server);
          } catch (error) {
            this.#warn("record_session", error, task.key.taskId);
          }
        },
        onProgress: (progress) =>
          store.reportEvent({ type: "attempt.progress", ...task.key, attemptId, ...progress }),
      })
      .then((result) => this.#settle(task, attemptId, startedAt, result))
      .catch((error: unknown) => this.#settleFailed(task, attemptId, startedAt, error))
      .finally(() => {
        timer.cancel();
        delete task.controller;
        this.#running.delete(id);
        this.#kick();
      });
    this.#running.set(id, run);
  }

  #settle(task: LiveTask, attemptId: string, startedAt: number, result: AttemptResult): void {
    const { store, clock, config } = this.#deps;
    const now = clock.now();
    const failedRequests = task.failedRequests + (result.failedRequests ?? 0);
    const next = decideNext({
      result,
      task: { ...task, failedRequests },
      structured: config.outcome === "structured",
      retry: config.retry,
      modelTiers: config.modelTiers,
      shuttingDown: this.#stopping,
      now,
      ...(this.#deps.random ? { random: this.#deps.random } : {}),
    });
    if (result.failure?.type === "rate_limited") this.#lowerProviderLimit(task, result, startedAt, now);
    else if (result.status === "failed") this.#stagger.recordFailure(now);
    else if (result.status === "succeeded") {
      this.#stagger.recordSuccess();
      const raised = this.#providerLimits.onSuccess(providerOf(task.model));
      if (raised) this.#recordLimit(raised);
    }
    const close = {
      status: attemptStatus(result, next),
      ...(result.failure ? { failure: result.failure } : {}),
      tokens: result.tokens,
      cost: result.cost,
      finalText: result.finalText,
      filesChanged: result.filesChanged,
      durationMs: now - startedAt,
      ...(result.transcript ? { transcript: result.transcript } : {}),
    };
    const { state, reason, patch, outcome, pendingKind } = this.#plan(task, next, now);
    const closed = store.finishAttempt(task.key, attemptId, close, {
      state,
      ...(reason ? { reason } : {}),
      ...(outcome ? { outcome } : {}),
      patch: { ...patch, failedRequests, leaseOwner: null, leaseUntil: null },
    });
    if (!closed) return; // recorded already (an earlier supervisor closed it): never twice
    task.failedRequests = failedRequests;
    this.#apply(task, state, patch, pendingKind);
    if (isFinal(state)) this.#afterFinal(task, state);
  }

  /**
   * Settling threw (a bug, or storage trouble): the attempt is closed as a retryable failure so the
   * task moves on instead of staying `running` and its batch never ending. If even that cannot be
   * written, the task is failed in memory so the batch still ends.
   */
  #settleFailed(task: LiveTask, attemptId: string, startedAt: number, error: unknown): void {
    this.#warn("attempt_settle", error, task.key.taskId);
    if (this.#halted || task.state !== "running") return;
    try {
      this.#settle(task, attemptId, startedAt, {
        status: "failed",
        failure: {
          type: "internal",
          message: `settling the attempt failed: ${errorMessage(error)}`,
          retryable: true,
        },
        tokens: zeroTokens(),
        cost: 0,
        finalText: "",
        filesChanged: [],
      });
    } catch (again) {
      this.#warn("attempt_settle", again, task.key.taskId);
      if (task.state !== "running") return;
      try {
        this.#move(task, "failed", `settling the attempt failed: ${errorMessage(error)}`);
      } catch {
        task.state = "failed";
        const batch = this.#batches.get(task.key.batchId);
        if (batch) setState(batch, task.key.taskId, "failed");
      }
      this.#afterFinal(task, "failed");
    }
  }

  /** Turns a decision into the task's next state and stored fields. */
  #plan(task: LiveTask, next: NextStep, now: number): PlannedStep {
    switch (next.kind) {
      case "final":
        return {
          state: next.state,
          ...(next.reason ? { reason: next.reason } : {}),
          patch: { pendingPrompt: null, runAt: null },
          outcome: next.outcome,
        };
      case "continue":
        return {
          state: "ready",
          pendingKind: next.attemptKind,
          reason: `${next.attemptKind === "recovery" ? "recovery" : "continuing"}: ${next.reason}`,
          patch: {
            pendingPrompt: next.prompt,
            runAt: null,
            ...(next.attemptKind === "recovery"
              ? { recoveryUsed: true }
              : { continuations: task.continuations + 1 }),
          },
        };
      case "handback":
        return {
          state: "ready",
          pendingKind: "continue",
          reason: next.reason,
          patch: { pendingPrompt: next.prompt, runAt: null },
        };
      case "retry":
        return {
          state: "retry_wait",
          reason: `retry in ${Math.round(next.delayMs / 100) / 10}s: ${next.reason}`,
          patch: { pendingPrompt: null, runAt: now + next.delayMs },
        };
      case "escalate":
        return {
          state: "ready",
          reason: `escalated to ${next.model}: ${next.reason}`,
          patch: { pendingPrompt: null, runAt: null, model: next.model },
        };
      case "park":
        return {
          state: "parked",
          pendingKind: "continue",
          reason: `${next.reason} (until ${new Date(next.until).toISOString()})`,
          patch: { pendingPrompt: next.prompt, runAt: next.until },
        };
    }
  }

  #apply(task: LiveTask, state: TaskState, patch: TaskPatch, pendingKind: AttemptKind | undefined): void {
    const batch = this.#batches.get(task.key.batchId);
    task.state = state;
    if (batch) setState(batch, task.key.taskId, state);
    if (patch.pendingPrompt === null) delete task.pendingPrompt;
    else if (patch.pendingPrompt !== undefined) task.pendingPrompt = patch.pendingPrompt;
    if (patch.runAt === null) delete task.runAt;
    else if (patch.runAt !== undefined) task.runAt = patch.runAt;
    if (patch.model) task.model = patch.model;
    if (patch.continuations !== undefined) task.continuations = patch.continuations;
    if (patch.recoveryUsed !== undefined) task.recoveryUsed = patch.recoveryUsed;
    if (patch.freshAttempts !== undefined) task.freshAttempts = patch.freshAttempts;
    if (pendingKind) task.pendingKind = pendingKind;
    else delete task.pendingKind;
  }

  #lowerProviderLimit(task: LiveTask, result: AttemptResult, startedAt: number, now: number): void {
    this.#stagger.recordRateLimit(now);
    const provider = providerOf(task.model);
    const running = [...this.#tasks.values()].filter(
      (t) => t.state === "running" && providerOf(t.model) === provider,
    ).length;
    const change = this.#providerLimits.onRateLimit(provider, {
      running,
      startedAt,
      now,
      ...(result.rateLimitedUntil !== undefined ? { resetAt: result.rateLimitedUntil } : {}),
      reason: result.failure?.message ?? "rate limited",
    });
    if (change) this.#recordLimit(change);
  }

  // ── task and batch bookkeeping ────────────────────────────────────────────────────────────

  #cancelTask(task: LiveTask, reason: string): void {
    if (isFinal(task.state)) return;
    if (task.state === "running") {
      task.controller?.abort({ kind: "cancel", message: reason } satisfies AttemptStop);
      return;
    }
    this.#move(task, "cancelled", reason);
    this.#afterFinal(task, "cancelled");
  }

  /** Unlocks or blocks dependents, then closes the batch when everything is final. */
  #afterFinal(task: LiveTask, state: TaskState): void {
    this.#tasks.delete(keyOf(task.key));
    const batch = this.#batches.get(task.key.batchId);
    if (!batch) return;
    const stateOf = (id: string) => batch.states.get(id) ?? "queued";
    if (state === "succeeded") {
      for (const id of batch.graph.unlockedBy(task.key.taskId, stateOf)) {
        const dependent = this.#tasks.get(keyOf({ batchId: batch.id, taskId: id }));
        if (dependent) this.#move(dependent, "ready");
      }
    } else {
      // Finished dependents settled their own dependents when they finished: the walk stops there.
      for (const id of batch.graph.dependentsOf(task.key.taskId, (id) => !isFinal(stateOf(id)))) {
        const dependent = this.#tasks.get(keyOf({ batchId: batch.id, taskId: id }));
        if (!dependent || isFinal(dependent.state) || dependent.state === "running") continue;
        const to = batch.cancelling ? "cancelled" : "blocked";
        this.#move(
          dependent,
          to,
          batch.cancelling ? "batch cancelled" : `dependency ${task.key.taskId} ${state.replace("_", " ")}`,
        );
        this.#tasks.delete(keyOf(dependent.key));
      }
    }
    this.#checkBatchDone(batch);
  }

  #checkBatchDone(batch: LiveBatch): void {
    if (batch.unfinished > 0) return;
    const counts: Record<string, number> = {};
    for (const state of batch.states.values()) counts[state] = (counts[state] ?? 0) + 1;
    const record = this.#deps.store.getBatch(batch.id);
    if (record && !record.finishedAt)
      this.#deps.store.finishBatch(batch.id, counts, this.#deps.clock.now() - batch.createdAt);
    this.#batches.delete(batch.id);
    for (const resolve of batch.waiters) resolve();
  }

  #move(task: LiveTask, to: TaskState, reason?: string, patch?: TaskPatch): void {
    this.#deps.store.transitionTask(task.key, to, reason, patch);
    task.state = to;
    const batch = this.#batches.get(task.key.batchId);
    if (batch) setState(batch, task.key.taskId, to);
  }

  #readiness(batch: LiveBatch, task: LiveTask): "ready" | "waiting" | "blocked" {
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

  #loadBatch(batchId: string): void {
    if (this.#batches.has(batchId)) return;
    const records = this.#deps.store.listTasks(batchId);
    const batchRecord = this.#deps.store.getBatch(batchId);
    const specs = records.map((record) => record.spec);
    this.#batches.set(batchId, {
      id: batchId,
      specs,
      graph: new DependencyGraph(specs),
      order: new LaunchOrder(specs.map((spec) => spec.id)),
      strategy: (batchRecord?.strategy as Strategy | undefined) ?? this.#deps.config.strategy,
      createdAt: batchRecord?.createdAt ?? this.#deps.clock.now(),
      states: new Map(records.map((record) => [record.id, record.state])),
      unfinished: records.filter((record) => !isFinal(record.state)).length,
      cancelling: false,
      waiters: [],
    });
    for (const record of records) if (!isFinal(record.state)) this.#adopt(record);
  }

  #adopt(record: TaskRecord): LiveTask {
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
    };
    this.#tasks.set(keyOf(task.key), task);
    return task;
  }

  #task(batchId: string, taskId: string): LiveTask {
    const task = this.#tasks.get(keyOf({ batchId, taskId }));
    if (!task) throw new Error(`no live task ${batchId}/${taskId}`);
    return task;
  }

  /** A task left `running` by a crashed predecessor: follow its session if it lives, else close the attempt. */
  async #recover(record: TaskRecord): Promise<void> {
    const { store, engine, clock, config } = this.#deps;
    const task = this.#task(record.batchId, record.id);
    const attempt = store.getOpenAttempt(task.key);
    if (!attempt) {
      this.#move(task, "ready", "recovered: the supervisor stopped before the attempt began");
      return;
    }
    const alive = attempt.sessionId
      ? await engine.hasSession(attempt.sessionId, attempt.server).catch(() => false)
      : false;
    if (alive && attempt.sessionId) {
      store.takeLease(task.key, this.#instance, clock.now() + config.leaseTtl);
      store.recordEvent({
        type: "supervisor.recovered",
        ...task.key,
        attemptId: attempt.id,
        action: "readopted",
        detail: `following session ${attempt.sessionId}`,
      });
      this.#runAttempt(task, attempt.id, attempt.startedAt, {
        prompt: "",
        mode: "follow",
        sessionId: attempt.sessionId,
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
    this.#settle(task, attempt.id, attempt.startedAt, {
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
}

const providerOf = (model: string) => model.split("/")[0] as string;

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

/** Records a task's state in its batch's mirror, keeping the count of unfinished tasks. */
function setState(batch: LiveBatch, taskId: string, state: TaskState): void {
  const before = batch.states.get(taskId);
  const wasFinal = before !== undefined && isFinal(before);
  if (wasFinal !== isFinal(state)) batch.unfinished += isFinal(state) ? -1 : 1;
  batch.states.set(taskId, state);
}

/** The status recorded on the attempt row: what happened to this attempt, whatever the task does next. */
function attemptStatus(
  result: AttemptResult,
  next: NextStep,
): "succeeded" | "failed" | "blocked" | "timed_out" | "cancelled" {
  if (next.kind === "final" && next.state === "blocked") return "blocked";
  if (result.status !== "succeeded") return result.status;
  return next.kind === "final" && next.state === "succeeded" ? "succeeded" : "failed";
}
