import { zeroTokens } from "../../core/liveness.ts";
import type { AttemptFailure } from "../../core/outcome.ts";
import type { AttemptRequest, AttemptResult } from "../contract.ts";
import { classifyOpencodeError } from "./classify-error.ts";
import type { SessionEnd } from "./session-tracker.ts";
import { buildAttemptTranscript, summarizeTranscript, type TranscriptEntry } from "./transcript.ts";

// An attempt's result as data, from how its session ended and the messages it left.

/** The result of a session's turn: its end (idle, error, stopped, watchdog…) read with its messages. */
export function buildResult(
  serverName: string,
  sessionId: string,
  request: AttemptRequest,
  entries: TranscriptEntry[],
  end: SessionEnd,
): AttemptResult {
  const summary = summarizeTranscript(entries, request.dir);
  const last = entries.at(-1)?.info;
  const report = last && last.role === "assistant" ? last.structured : undefined;
  const base = {
    sessionId,
    server: serverName,
    tokens: summary.tokens,
    cost: summary.cost,
    finalText: summary.finalText,
    filesChanged: summary.filesChanged,
    ...(report !== undefined ? { report } : {}),
    transcript: buildAttemptTranscript(request.prompt, entries),
  };
  const failed = (failure: AttemptFailure): AttemptResult => ({ ...base, status: "failed", failure });
  switch (end.kind) {
    case "stopped": {
      const timeout = end.stop.kind === "timeout";
      return {
        ...base,
        status: timeout ? "timed_out" : "cancelled",
        failure: { type: timeout ? "timeout" : "cancelled", message: end.stop.message, retryable: timeout },
      };
    }
    case "rate_limited":
      return {
        ...failed({ type: "rate_limited", message: end.message, retryable: true }),
        rateLimitedUntil: end.until,
      };
    case "lost":
      return failed({ type: "engine_crashed", message: `${serverName}: ${end.reason}`, retryable: true });
    case "watchdog":
      return { ...failed(end.failure), ...(end.note ? { continueNote: end.note } : {}) };
    case "provider_failed":
      return {
        ...failed({
          type: "model_error",
          message: end.message,
          // Retryable as far as the engine knows; the supervisor's budget decides (it is spent).
          retryable: true,
        }),
        failedRequests: end.failedRequests,
      };
    case "error": {
      if (end.error.name === "StructuredOutputError") {
        return failed({
          type: "no_output",
          message: "the agent ended without its structured report",
          retryable: true,
        });
      }
      return failed(classifyOpencodeError(end.error));
    }
    case "idle": {
      if (summary.error) {
        if (summary.error.name === "StructuredOutputError") {
          return failed({
            type: "no_output",
            message: "the agent ended without its structured report",
            retryable: true,
          });
        }
        return failed(classifyOpencodeError(summary.error));
      }
      if (entries.length === 0)
        return failed({
          type: "no_output",
          message: "the session went idle without an answer",
          retryable: true,
        });
      if (request.reportSchema && report === undefined) {
        return failed({
          type: "no_output",
          message: "the agent went idle without reporting its outcome",
          retryable: true,
        });
      }
      return { ...base, status: "succeeded" };
    }
  }
}

/**
 * Counts the attempt's failed model requests: OpenCode's retries, plus the request that ended it
 * when the provider's error did (a retry status N means N requests had failed).
 */
export function withFailedRequests(result: AttemptResult, retried: number): AttemptResult {
  if (result.failedRequests !== undefined) return result;
  const failedRequests = retried + (result.failure?.type === "model_error" ? 1 : 0);
  return failedRequests > 0 ? { ...result, failedRequests } : result;
}

/** A failure before the session could start (no server, no session). */
export function failedBeforeStart(
  type: AttemptFailure["type"],
  message: string,
  retryable = false,
): AttemptResult {
  return {
    status: "failed",
    failure: { type, message, retryable },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  };
}
