import type { DroverConfig } from "../config/schema.ts";
import type { AttemptResult } from "../engines/contract.ts";
import { fallbackAfter, tierModelLists } from "../routing/route.ts";
import type { NextStep } from "./decide-next.ts";
import type { LiveTask } from "./supervisor-core.ts";

// Routing after an attempt: a provider error or rate limit moves a task that runs by tier to the
// next candidate of its tier (then to the next tier) at once, instead of retrying the same one.

const providerFailures = new Set(["model_error", "rate_limited", "auth_error"]);

/** The tiers escalation walks: routing.tiers when set, else the older `modelTiers`. */
export function escalationTiers(config: DroverConfig): readonly (readonly string[])[] {
  const routed = tierModelLists(config.routing);
  return routed.length > 0 ? routed : config.modelTiers;
}

/**
 * The fallback step after a provider failure, when the task's tier (or the next) has another
 * candidate; it takes the place of a retry, a park or a failure on the same candidate.
 */
export function routeFallback(
  config: DroverConfig,
  task: LiveTask,
  result: AttemptResult,
): NextStep | undefined {
  const failure = result.failure;
  if (result.status === "succeeded" || !failure || !providerFailures.has(failure.type)) return undefined;
  const next = fallbackAfter(config.routing, {
    spec: task.spec,
    model: task.model,
    ...(task.candidate !== undefined ? { candidate: task.candidate } : {}),
  });
  if (!next) return undefined;
  task.candidate = next.candidate;
  const where = `${next.escalated ? "next tier" : "tier"} ${next.tier}, candidate ${next.candidate + 1} (${next.model})`;
  return {
    kind: "escalate",
    model: next.model,
    reason: `${failure.type} on ${task.model}: falling back to ${where}`,
  };
}
