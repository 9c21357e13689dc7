import { z } from "zod";
import type { AttemptFailure } from "../core/outcome.ts";

/** The one retry policy (Temporal-style): documented defaults, validated bounds. */
export const RetryPolicySettings = z.object({
  maxAttempts: z.number().int().min(1).max(50).default(3).describe("Fresh attempts per task (the first run counts)."),
  maxContinuations: z
    .number()
    .int()
    .min(0)
    .max(20)
    .default(2)
    .describe("How often an attempt is continued in its own session (stream cut, idle without a report) before it counts as failed."),
  initialBackoff: z.number().int().min(0).default(2_000).describe("Backoff before the second fresh attempt, ms."),
  backoffFactor: z.number().min(1).max(10).default(2),
  maxBackoff: z.number().int().min(0).default(60_000).describe("Backoff cap, ms."),
  jitter: z.number().min(0).max(1).default(0.2).describe("± fraction of the backoff chosen at random."),
});
export type RetryPolicySettings = z.infer<typeof RetryPolicySettings>;

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
  /** For rate limits: when the provider allows the next request (epoch ms). */
  rateLimitedUntil?: number;
  now: number;
  random?: () => number;
}

/** Failures that are worth continuing in the same session (the work so far is kept). */
const continuable: ReadonlySet<AttemptFailure["type"]> = new Set(["no_output", "model_error", "engine_crashed"]);

export function decideRetry(policy: RetryPolicySettings, input: RetryInput): RetryDecision {
  const { failure } = input;
  if (failure.type === "rate_limited") {
    const until = Math.max(input.rateLimitedUntil ?? input.now + policy.initialBackoff, input.now);
    return { kind: "park", until, reason: `rate limited: ${failure.message}` };
  }
  if (!failure.retryable) return { kind: "fail", reason: failure.message };
  if (continuable.has(failure.type) && failure.type !== "engine_crashed" && input.continuations < policy.maxContinuations) {
    return { kind: "continue", reason: failure.message };
  }
  if (input.attempts >= policy.maxAttempts) {
    return { kind: "fail", reason: `${failure.message} (after ${input.attempts} attempts)` };
  }
  return { kind: "retry", delayMs: backoffFor(policy, input.attempts, input.random ?? Math.random), reason: failure.message };
}

/** Capped exponential backoff with jitter before fresh attempt number `attempts + 1`. */
export function backoffFor(policy: RetryPolicySettings, attempts: number, random: () => number): number {
  const base = Math.min(policy.maxBackoff, policy.initialBackoff * policy.backoffFactor ** Math.max(0, attempts - 1));
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
