import type { RetryPolicySettings } from "../config/supervisor-settings.ts";
import type { AttemptFailure, Outcome } from "../core/outcome.ts";
import { AgentReport } from "../core/outcome-schema.ts";
import type { AttemptResult } from "../engines/contract.ts";
import { continuationPrompt, missingContextRecoveryPrompt, resumeAfterPausePrompt } from "./build-prompt.ts";
import { decideRetry } from "./retry-policy.ts";

/** Where a task goes after an attempt. */
export type NextStep =
  | {
      kind: "final";
      state: "succeeded" | "failed" | "blocked" | "timed_out" | "cancelled";
      reason?: string;
      outcome: Outcome;
    }
  | { kind: "continue"; attemptKind: "continue" | "recovery"; prompt: string; reason: string }
  | { kind: "retry"; delayMs: number; reason: string }
  | { kind: "escalate"; model: string; reason: string }
  | { kind: "park"; until: number; prompt: string; reason: string }
  /** Parked with no time to wake: the budget holds the task back until it allows another attempt. */
  | { kind: "hold"; prompt: string; reason: string }
  | { kind: "handback"; prompt: string; reason: string };

export interface DecideNextInput {
  result: AttemptResult;
  task: {
    freshAttempts: number;
    continuations: number;
    recoveryUsed: boolean;
    model: string;
    /** Failed model requests of the task so far, this attempt's included. */
    failedRequests?: number;
  };
  structured: boolean;
  retry: RetryPolicySettings;
  modelTiers: readonly (readonly string[])[];
  /** The supervisor is shutting down: hand running work back instead of ending it. */
  shuttingDown: boolean;
  now: number;
  random?: () => number;
}

/**
 * Reads an attempt's result (never its text) and decides: done, blocked (with the BLOCKED
 * protocol's one recovery and tier escalation), continue in the session, retry fresh, park.
 */
export function decideNext(input: DecideNextInput): NextStep {
  const { result, task, structured } = input;
  if (result.status === "cancelled") {
    if (input.shuttingDown)
      return { kind: "handback", prompt: continuationPrompt(structured), reason: "handed back at shutdown" };
    return final("cancelled", result.failure?.message ?? "cancelled");
  }
  if (result.status === "timed_out") return final("timed_out", result.failure?.message ?? "timed out");
  if (result.failure?.type === "workspace_conflict")
    return {
      kind: "final",
      state: "blocked",
      reason: result.failure.message,
      outcome: { outcome: "blocked", summary: result.failure.message, reason: "conflict" },
    };
  if (result.status === "failed") return afterFailure(input, result.failure ?? unknownFailure);

  if (!structured) {
    return {
      kind: "final",
      state: "succeeded",
      outcome: { outcome: "complete", summary: result.finalText || "(no final text)" },
    };
  }
  const report = AgentReport.safeParse(result.report);
  if (!report.success) {
    return afterFailure(input, {
      type: "no_output",
      message: "the agent's report did not match the outcome schema",
      retryable: true,
    });
  }
  const { outcome, summary, reason, blocker, evidence, learnings } = report.data;
  const asOutcome: Outcome = {
    outcome,
    summary,
    ...(reason ? { reason } : {}),
    ...(evidence ? { evidence } : {}),
    ...(learnings?.length ? { learnings } : {}),
  };
  switch (outcome) {
    case "complete":
    case "handoff":
      return { kind: "final", state: "succeeded", outcome: asOutcome };
    case "failed":
      return afterFailure(
        input,
        { type: "agent_failed", message: reason ?? summary, retryable: true },
        asOutcome,
      );
    case "blocked": {
      const why = reason ?? summary;
      if (blocker === "missing_context" && !task.recoveryUsed) {
        return {
          kind: "continue",
          attemptKind: "recovery",
          prompt: missingContextRecoveryPrompt(why),
          reason: `missing context: ${why}`,
        };
      }
      if (blocker === "capability_limit") {
        const next = nextTierModel(input.modelTiers, task.model);
        if (next)
          return { kind: "escalate", model: next, reason: `capability limit on ${task.model}: ${why}` };
      }
      return { kind: "final", state: "blocked", reason: why, outcome: asOutcome };
    }
  }
}

function afterFailure(input: DecideNextInput, failure: AttemptFailure, outcome?: Outcome): NextStep {
  const decision = decideRetry(input.retry, {
    failure,
    attempts: input.task.freshAttempts,
    continuations: input.task.continuations,
    failedRequests: input.task.failedRequests ?? 0,
    ...(input.result.rateLimitedUntil !== undefined
      ? { rateLimitedUntil: input.result.rateLimitedUntil }
      : {}),
    now: input.now,
    ...(input.random ? { random: input.random } : {}),
  });
  switch (decision.kind) {
    case "continue":
      return {
        kind: "continue",
        attemptKind: "continue",
        prompt: input.result.continueNote
          ? `${input.result.continueNote}\n\n${continuationPrompt(input.structured)}`
          : continuationPrompt(input.structured),
        reason: decision.reason,
      };
    case "retry":
      return { kind: "retry", delayMs: decision.delayMs, reason: decision.reason };
    case "park":
      return {
        kind: "park",
        until: decision.until,
        prompt: resumeAfterPausePrompt(input.structured),
        reason: decision.reason,
      };
    case "fail":
      return {
        kind: "final",
        state: "failed",
        reason: decision.reason,
        outcome: outcome ?? { outcome: "failed", summary: failure.message, reason: failure.type },
      };
  }
}

/** The first model of the tier after the one holding `model`, if any. */
export function nextTierModel(tiers: readonly (readonly string[])[], model: string): string | undefined {
  const index = tiers.findIndex((tier) => tier.includes(model));
  return index >= 0 ? tiers[index + 1]?.[0] : undefined;
}

function final(state: "timed_out" | "cancelled", reason: string): NextStep {
  return { kind: "final", state, reason, outcome: { outcome: "failed", summary: reason, reason: state } };
}

const unknownFailure: AttemptFailure = {
  type: "internal",
  message: "the attempt failed without a reason",
  retryable: false,
};
