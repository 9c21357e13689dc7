import type { DroverConfig } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { EngineName, TaskSpec } from "../core/task-spec.ts";
import { isFinal, type TaskState } from "../core/task-states.ts";
import type { Engine, PermissionAnswer, PermissionAsk } from "../engines/contract.ts";
import type { EngineRegistry } from "../engines/registry.ts";
import type { DependencyGraph } from "../queue/dependency-graph.ts";
import type { LaunchOrder, Strategy } from "../queue/strategy.ts";
import type { ClaudeOAuth } from "../security/claude-oauth.ts";
import type { AttemptKind, Store, TaskKey } from "../store/store.ts";
import type { TaskWorkspaces } from "../workspace/task-workspaces.ts";
import { ProviderLimits } from "./provider-limits.ts";
import { LaunchStagger } from "./stagger.ts";

// The supervisor's shared state lives here, apart from the `Supervisor` facade, so that each of
// its jobs (scheduling, launching, settling, recovery, bookkeeping, status) can be a small file of
// plain functions over one object instead of methods on a 1,000-line class. Module-internal.

export interface SupervisorDeps {
  store: Store;
  /** The default engine (tasks that name none, capacity's RAM per attempt). */
  engine: Engine;
  /** Every engine by name, for tasks that name one (`engine:`); without it, `engine` runs everything. */
  engines?: EngineRegistry;
  clock: Clock;
  config: DroverConfig;
  /** Free memory in MB, read each time capacity is computed (injected so tests control it). */
  freeMemoryMb: () => number;
  /** Which batches this supervisor runs: `daemon`, or `run:<id>` for one `drover run`. */
  owner: string;
  random?: () => number;
  /** Git worktrees for tasks that name a `repo` (without it, such tasks run in the repository itself). */
  workspaces?: TaskWorkspaces;
  /**
   * Puts an agent's permission request to a person (the attention inbox) and resolves with their
   * answer; `signal` aborts when the question is withdrawn. Without it, `opencode.onPermission:
   * "ask"` rejects at once.
   */
  askPermission?: (
    attempt: TaskKey & { attemptId: string; title: string },
    ask: PermissionAsk,
    signal: AbortSignal,
  ) => Promise<PermissionAnswer>;
  /** Claude subscription credentials, if any (cached): Anthropic work may then run on Claude Code. */
  claudeOAuth?: () => ClaudeOAuth | undefined;
}

/** One task the supervisor is responsible for, mirrored from the store. */
/** The engine that runs a task: the one it names, else the default. */
export function engineFor(core: { deps: SupervisorDeps }, spec: TaskSpec, routed?: EngineName): Engine {
  return core.deps.engines ? core.deps.engines.get(routed ?? spec.engine) : core.deps.engine;
}

/** One task the supervisor is responsible for, mirrored from the store. */
export interface LiveTask {
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
  /** Why this ready task waits for another on the same repository (overlapping footprints). */
  waitingFor?: string;
  /** The engine routing chose for its current attempt. */
  engineName?: EngineName;
  /** Its candidate in its routing tier, once a fallback moved it (else found by its model). */
  candidate?: number;
  /** Why the budget holds this (parked) task back; it launches once the budget allows. */
  budgetWait?: string;
  /** Why the running attempt was stopped at a budget cap (set just before it is aborted). */
  budgetStop?: string;
}

export interface LiveBatch {
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
  /** The batch's own budget in USD (a task file's `budget`), in place of the config's. */
  budget?: number;
  /** The runner this batch is a run of (its spend counts against the runner's budget). */
  runner?: string;
}

/**
 * The in-memory mirror of this owner's unfinished work plus the dependencies, timers and flags
 * every supervisor job reads. `tick` is wired by the facade so that `kick` (called from every job)
 * does not import the scheduler, which imports the jobs.
 */
export class SupervisorCore {
  readonly deps: SupervisorDeps;
  readonly tasks = new Map<string, LiveTask>();
  readonly batches = new Map<string, LiveBatch>();
  /** Attempts in flight, by task key; each promise settles its attempt and never rejects. */
  readonly running = new Map<string, Promise<void>>();
  readonly stagger: LaunchStagger;
  readonly providerLimits: ProviderLimits;
  /** This supervisor instance's lease owner id. */
  readonly instance = newId("run");
  timer: { cancel(): void } | undefined;
  timerAt = Number.POSITIVE_INFINITY;
  heartbeat: { cancel(): void } | undefined;
  tickQueued = false;
  stopping = false;
  started = false;
  halted = false;
  readonly #tick: (core: SupervisorCore) => void;

  constructor(deps: SupervisorDeps, tick: (core: SupervisorCore) => void) {
    this.deps = deps;
    this.#tick = tick;
    this.stagger = new LaunchStagger(deps.config.stagger, deps.random);
    this.providerLimits = new ProviderLimits({
      cooldownMs: deps.config.rateLimitCooldown,
      ceiling: deps.config.capacity.maxWorkers,
    });
  }

  /** Asks for one scheduling pass soon; many asks in one turn make one pass, and a pass never throws. */
  kick(): void {
    if (this.tickQueued || this.stopping) return;
    this.tickQueued = true;
    queueMicrotask(() => {
      this.tickQueued = false;
      try {
        this.#tick(this);
      } catch (error) {
        this.warn("supervisor_tick", error);
      }
    });
  }

  /** Background work never throws: a failure becomes a `warning` event (shown live even if storage is down). */
  warn(code: string, error: unknown, taskId?: string): void {
    try {
      this.deps.store.reportEvent({
        type: "warning",
        code,
        message: errorMessage(error),
        ...(taskId ? { taskId } : {}),
      });
    } catch {
      // Nothing is left to report through.
    }
  }
}

export const keyOf = (key: TaskKey) => `${key.batchId}/${key.taskId}`;

export const providerOf = (model: string) => model.split("/")[0] as string;

/** Records a task's state in its batch's mirror, keeping the count of unfinished tasks. */
export function setState(batch: LiveBatch, taskId: string, state: TaskState): void {
  const before = batch.states.get(taskId);
  const wasFinal = before !== undefined && isFinal(before);
  if (wasFinal !== isFinal(state)) batch.unfinished += isFinal(state) ? -1 : 1;
  batch.states.set(taskId, state);
}

/** A runner's run has the source `runner:NAME`: its spend counts against that runner. */
export function runnerOf(source: string | undefined): { runner?: string } {
  return source?.startsWith("runner:") ? { runner: source.slice("runner:".length) } : {};
}
