import type { RetryPolicySettings } from "../config/supervisor-settings.ts";
import type { AttemptFailure } from "../core/outcome.ts";

/** The one retry policy (Temporal-style): documented defaults, validated bounds. */

/** What to do after an attempt that did not succeed. */
export type RetryDecision =
  | { kind: "continue"; reason: string }
  | { kind: "retry"; delayMs: number; reason: string }
  | { kind: "park"; until: number; reason: string }
  | { kind: "fail"; reason: string };

export interface RetryInput {
  failure: AttemptFailure;
  /** Fresh attempts made so far (1 after the first run). */
  attempts: number;
  /** Continuations already made in the current attempt. */
  continuations: number;
  /** Model requests that failed with a provider error so far, this attempt's included (all layers). */
  failedRequests?: number;
  /** For rate limits: when the provider allows the next request (epoch ms). */
  rateLimitedUntil?: number;
  now: number;
  random?: () => number;
}

/**
 * Failures worth continuing in the same session (the work so far is kept): the agent stopped
 * short. A provider's failure is not among them — OpenCode has retried it already, and the same
 * session would only send the same failing request again.
 */
const continuable: ReadonlySet<AttemptFailure["type"]> = new Set(["no_output", "stalled"]);

export function decideRetry(policy: RetryPolicySettings, input: RetryInput): RetryDecision {
  const { failure } = input;
  if (failure.type === "rate_limited") {
    const until = Math.max(input.rateLimitedUntil ?? input.now + policy.initialBackoff, input.now);
    return { kind: "park", until, reason: `rate limited: ${failure.message}` };
  }
  if (!failure.retryable) return { kind: "fail", reason: failure.message };
  const failedRequests = input.failedRequests ?? 0;
  if (failure.type === "model_error" && failedRequests >= policy.providerRequests) {
    return {
      kind: "fail",
      reason: `${failure.message} (${failedRequests} failed model requests: retry budget retry.providerRequests used up)`,
    };
  }
  if (continuable.has(failure.type) && input.continuations < policy.maxContinuations) {
    return { kind: "continue", reason: failure.message };
  }
  if (input.attempts >= policy.maxAttempts) {
    return { kind: "fail", reason: `${failure.message} (after ${input.attempts} attempts)` };
  }
  return {
    kind: "retry",
    delayMs: backoffFor(policy, input.attempts, input.random ?? Math.random),
    reason: failure.message,
  };
}

/** Capped exponential backoff with jitter before fresh attempt number `attempts + 1`. */
export function backoffFor(policy: RetryPolicySettings, attempts: number, random: () => number): number {
  const base = Math.min(
    policy.maxBackoff,
    policy.initialBackoff * policy.backoffFactor ** Math.max(0, attempts - 1),
  );
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
