import type { AttemptResult } from "../engines/contract.ts";
import type { ProviderLimitChange } from "./provider-limits.ts";
import { type LiveTask, providerOf, type SupervisorCore } from "./supervisor-core.ts";

// The glue between attempt results and `ProviderLimits` (which is pure): it feeds the limits what
// the running tasks show, and records every change of a limit as a `supervisor.limit` event.

/** The provider limits in force now; limits that lapsed are recorded as they go. */
export function activeLimits(core: SupervisorCore, now: number): Map<string, number> {
  const { limits, lapsed } = core.providerLimits.active(now);
  for (const change of lapsed) recordLimit(core, change);
  return limits;
}

/** A rate-limited attempt: widen the stagger and lower its provider's limit. */
export function lowerProviderLimit(
  core: SupervisorCore,
  task: LiveTask,
  result: AttemptResult,
  startedAt: number,
  now: number,
): void {
  core.stagger.recordRateLimit(now);
  const provider = providerOf(task.model);
  const running = [...core.tasks.values()].filter(
    (t) => t.state === "running" && providerOf(t.model) === provider,
  ).length;
  const change = core.providerLimits.onRateLimit(provider, {
    running,
    startedAt,
    now,
    ...(result.rateLimitedUntil !== undefined ? { resetAt: result.rateLimitedUntil } : {}),
    reason: result.failure?.message ?? "rate limited",
  });
  if (change) recordLimit(core, change);
}

/** A successful attempt: raise its provider's limit a step, if one is in force. */
export function raiseProviderLimit(core: SupervisorCore, task: LiveTask): void {
  const raised = core.providerLimits.onSuccess(providerOf(task.model));
  if (raised) recordLimit(core, raised);
}

function recordLimit(core: SupervisorCore, change: ProviderLimitChange): void {
  core.deps.store.recordEvent({
    type: "supervisor.limit",
    key: change.key,
    limit: change.limit,
    ...(change.until !== undefined ? { until: change.until } : {}),
    reason: change.reason,
  });
}
