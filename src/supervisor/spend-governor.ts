import type { TokenCounts } from "../core/liveness.ts";
import type { AttemptStop } from "../engines/contract.ts";
import { costOfTokens, priceOf } from "../spend/prices.ts";
import { formatUsd } from "../spend/spend-report.ts";
import type { CapHit, SpendCaps, SpendPlace } from "../store/spend.ts";
import type { LiveBatch, LiveTask, SupervisorCore } from "./supervisor-core.ts";

// The spend governor: every attempt reserves its estimated cost before it launches (checked
// against the caps in the same transaction), is stopped when what it really spends passes a cap,
// and settles to its actual cost. A task the budget holds back waits `parked` (or is `blocked`).

const dayMs = 86_400_000;

/** The UTC day of `now`, YYYY-MM-DD. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** The caps on a task: the config's, with its batch's own budget in place of `budget.batch`. */
export function capsFor(core: SupervisorCore, batch: LiveBatch | undefined): SpendCaps {
  const { task, batch: batchCap, runner, day } = core.deps.config.budget;
  const caps: SpendCaps = {};
  if (task !== undefined) caps.task = task;
  const ownCap = batch?.budget ?? batchCap;
  if (ownCap !== undefined) caps.batch = ownCap;
  if (runner !== undefined) caps.runner = runner;
  if (day !== undefined) caps.day = day;
  return caps;
}

function placeOf(core: SupervisorCore, task: LiveTask, batch: LiveBatch | undefined): SpendPlace {
  return {
    ...task.key,
    ...(batch?.runner ? { runner: batch.runner } : {}),
    day: utcDay(core.deps.clock.now()),
  };
}

/** What an attempt of `model` is expected to cost: its model's mean so far, else `budget.estimate`. */
export function estimateFor(core: SupervisorCore, model: string): number {
  return core.deps.store.spend.meanCost(model) ?? core.deps.config.budget.estimate;
}

/** Words for a cap: "the batch budget of $0.50 ($0.48 spent, $0.05 more needed)". */
export function describeCap(hit: CapHit): string {
  return `the ${hit.scope} budget of ${formatUsd(hit.cap)} (${formatUsd(hit.spent)} spent, ${formatUsd(hit.wanted)} more needed)`;
}

/** Reserves a launch's estimated cost; the cap it would pass when it may not launch. */
export function reserveLaunch(core: SupervisorCore, task: LiveTask, attemptId: string): CapHit | undefined {
  const batch = core.batches.get(task.key.batchId);
  const place = placeOf(core, task, batch);
  const amount = estimateFor(core, task.model);
  return core.deps.store.spend.reserve(
    { ...place, attemptId, model: task.model, amount },
    capsFor(core, batch),
  );
}

/** A launch the budget holds back: parked until it allows one (an inbox item says so), or blocked. */
export function holdForBudget(core: SupervisorCore, task: LiveTask, hit: CapHit): "parked" | "blocked" {
  const reason = `budget: launching would pass ${describeCap(hit)}`;
  task.budgetWait = reason;
  return core.deps.config.budget.onCap === "block" ? "blocked" : "parked";
}

/**
 * For a task parked by the budget: whether one more attempt fits now (spend settled lower than
 * reserved, a new UTC day), and otherwise when to look again (the next UTC midnight for a day cap).
 */
export function budgetAllows(
  core: SupervisorCore,
  task: LiveTask,
): { ok: true } | { ok: false; recheckAt?: number } {
  const batch = core.batches.get(task.key.batchId);
  const hit = core.deps.store.spend.wouldPass(
    placeOf(core, task, batch),
    estimateFor(core, task.model),
    capsFor(core, batch),
  );
  if (!hit) return { ok: true };
  const now = core.deps.clock.now();
  return hit.scope === "day"
    ? { ok: false, recheckAt: (Math.floor(now / dayMs) + 1) * dayMs }
    : { ok: false };
}

/**
 * While an attempt runs: its cost so far (tokens at its model's price) passing a cap stops it;
 * the task keeps its session and work, and records why.
 */
export function checkRunningSpend(
  core: SupervisorCore,
  task: LiveTask,
  attemptId: string,
  tokens: TokenCounts,
  controller: AbortController,
): void {
  if (controller.signal.aborted || task.budgetStop) return;
  const live = costOfTokens(tokens, priceOf(task.model, core.deps.config.prices));
  if (live <= 0) return;
  const batch = core.batches.get(task.key.batchId);
  const hit = core.deps.store.spend.passedWhileRunning(
    { ...placeOf(core, task, batch), attemptId },
    live,
    capsFor(core, batch),
  );
  if (!hit) return;
  const message = `budget: stopped at the ${hit.scope} budget of ${formatUsd(hit.cap)} (this attempt has cost ${formatUsd(live)}, ${formatUsd(hit.spent)} before it)`;
  task.budgetStop = message;
  controller.abort({ kind: "cancel", message } satisfies AttemptStop);
}

/** Settles an attempt's reservation to its actual cost (reported, else its tokens at the model's price). */
export function settleSpend(core: SupervisorCore, attemptId: string, actual: number): void {
  core.deps.store.spend.settle(attemptId, actual);
}

/**
 * A one-shot `drover run` whose batch has nothing left but tasks the budget holds back ends there:
 * nobody can raise the budget inside it. The tasks stay parked (`drover resume` takes them up).
 */
export function releaseStalledRun(core: SupervisorCore, batch: LiveBatch): void {
  if (core.deps.owner === "daemon" || batch.waiters.length === 0) return;
  let held = 0;
  for (const spec of batch.specs) {
    const state = batch.states.get(spec.id);
    if (state === "succeeded" || state === "failed" || state === "blocked" || state === "timed_out") continue;
    if (state === "cancelled") continue;
    const task = core.tasks.get(`${batch.id}/${spec.id}`);
    if (state !== "parked" || !task?.budgetWait) return;
    held++;
  }
  if (held === 0) return;
  const waiters = batch.waiters.splice(0);
  for (const resolve of waiters) resolve();
}

/** Settles what a drover that died left reserved (see SpendTable.settleClosed); a failure is a warning. */
export function settleClosedReservations(core: SupervisorCore): void {
  try {
    core.deps.store.spend.settleClosed();
  } catch (error) {
    core.warn("spend_settle", error);
  }
}
