import { errorMessage } from "../core/errors.ts";
import { zeroTokens } from "../core/liveness.ts";
import { isFinal, type TaskState } from "../core/task-states.ts";
import type { AttemptResult } from "../engines/contract.ts";
import { attemptCost } from "../spend/prices.ts";
import type { AttemptKind, TaskPatch } from "../store/store.ts";
import { decideNext, type NextStep } from "./decide-next.ts";
import { attemptStatus, planStep } from "./plan-step.ts";
import { lowerProviderLimit, raiseProviderLimit } from "./provider-limit-events.ts";
import { escalationTiers, routeFallback } from "./route-fallback.ts";
import { settleSpend } from "./spend-governor.ts";
import { type LiveTask, type SupervisorCore, setState } from "./supervisor-core.ts";
import { afterFinal, moveTask } from "./task-bookkeeping.ts";

// Every attempt's result goes through here and only here: decide (decideNext), plan (planStep),
// then write the attempt and the task in one store call and apply it to the mirror, so a result
// is acted on once even when two supervisors saw the same attempt.

/** Closes an attempt with its result and moves its task on. */
export function settleAttempt(
  core: SupervisorCore,
  task: LiveTask,
  attemptId: string,
  startedAt: number,
  attemptResult: AttemptResult,
): void {
  const { store, clock, config, random } = core.deps;
  let result = attemptResult;
  // Still running on a fleet worker while this supervisor stops: left open, to be followed after
  // a restart (recover-attempts), never closed as cancelled.
  if (result.detached && core.stopping) return;
  const now = clock.now();
  const failedRequests = task.failedRequests + (result.failedRequests ?? 0);
  // Priced now, written after the attempt closes: the close's time stays the attempt's own end.
  const cost = attemptCost(result.cost, result.tokens, task.model, config.prices);
  const budgetStop = task.budgetStop;
  delete task.budgetStop;
  if (budgetStop) result = { ...result, failure: { type: "budget", message: budgetStop, retryable: false } };
  const fallback = budgetStop ? undefined : routeFallback(config, task, result);
  const next =
    (budgetStop ? budgetStep(core, budgetStop) : fallback) ??
    decideNext({
      result,
      task: { ...task, failedRequests },
      structured: config.outcome === "structured",
      retry: config.retry,
      modelTiers: escalationTiers(config),
      shuttingDown: core.stopping,
      now,
      ...(random ? { random } : {}),
    });
  // A fallback candidate starts with the whole provider-request budget.
  const requestsSoFar = fallback ? 0 : failedRequests;
  if (result.failure?.type === "rate_limited") lowerProviderLimit(core, task, result, startedAt, now);
  else if (result.status === "failed") core.stagger.recordFailure(now);
  else if (result.status === "succeeded") {
    core.stagger.recordSuccess();
    raiseProviderLimit(core, task);
  }
  const close = {
    status: attemptStatus(result, next),
    ...(result.failure ? { failure: result.failure } : {}),
    tokens: result.tokens,
    cost,
    finalText: result.finalText,
    filesChanged: result.filesChanged,
    durationMs: now - startedAt,
    ...(result.transcript ? { transcript: result.transcript } : {}),
  };
  const { state, reason, patch, outcome, pendingKind } = planStep(task, next, now);
  const closed = store.finishAttempt(task.key, attemptId, close, {
    state,
    ...(reason ? { reason } : {}),
    ...(outcome ? { outcome } : {}),
    patch: { ...patch, failedRequests: requestsSoFar, leaseOwner: null, leaseUntil: null },
  });
  settleSpend(core, attemptId, cost);
  if (!closed) return; // recorded already (an earlier supervisor closed it): never twice
  task.failedRequests = requestsSoFar;
  if (next.kind === "escalate" && !fallback) delete task.candidate;
  if (next.kind === "hold") task.budgetWait = next.reason;
  applyStep(core, task, state, patch, pendingKind);
  if (isFinal(state)) afterFinal(core, task, state);
}

/**
 * Settling threw (a bug, or storage trouble): the attempt is closed as a retryable failure so the
 * task moves on instead of staying `running` and its batch never ending. If even that cannot be
 * written, the task is failed in memory so the batch still ends.
 */
export function settleFailed(
  core: SupervisorCore,
  task: LiveTask,
  attemptId: string,
  startedAt: number,
  error: unknown,
): void {
  core.warn("attempt_settle", error, task.key.taskId);
  if (core.halted || task.state !== "running") return;
  try {
    settleAttempt(core, task, attemptId, startedAt, {
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
    core.warn("attempt_settle", again, task.key.taskId);
    if (task.state !== "running") return;
    try {
      moveTask(core, task, "failed", `settling the attempt failed: ${errorMessage(error)}`);
    } catch {
      task.state = "failed";
      const batch = core.batches.get(task.key.batchId);
      if (batch) setState(batch, task.key.taskId, "failed");
    }
    afterFinal(core, task, "failed");
  }
}

/** Mirrors what `settleAttempt` stored. */
function applyStep(
  core: SupervisorCore,
  task: LiveTask,
  state: TaskState,
  patch: TaskPatch,
  pendingKind: AttemptKind | undefined,
): void {
  const batch = core.batches.get(task.key.batchId);
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

/**
 * An attempt stopped at a budget cap: the task waits parked, its session kept to continue in once
 * the budget allows (or is blocked, with `budget.onCap: block`).
 */
function budgetStep(core: SupervisorCore, message: string): NextStep {
  if (core.deps.config.budget.onCap === "block")
    return {
      kind: "final",
      state: "blocked",
      reason: message,
      outcome: { outcome: "blocked", summary: message, reason: "budget" },
    };
  return {
    kind: "hold",
    reason: message,
    prompt:
      "You were stopped at a budget limit. Continue where you stopped; finish the task as economically as you can.",
  };
}
