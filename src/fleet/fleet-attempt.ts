import { zeroTokens } from "../core/liveness.ts";
import type { AttemptFailure } from "../core/outcome.ts";
import type { AttemptRequest, AttemptResult } from "../engines/contract.ts";
import { type FleetAttempt, fleetProtocol } from "./fleet-protocol.ts";

/** The job payload for one attempt: the request minus its callbacks and signal. */
export function fleetAttemptOf(
  engine: string,
  batchId: string,
  request: AttemptRequest,
  server: string | undefined,
): FleetAttempt {
  return {
    protocol: fleetProtocol,
    engine,
    batchId,
    taskId: request.taskId,
    attemptId: request.attemptId,
    prompt: request.prompt,
    title: request.title,
    dir: request.dir,
    model: request.model,
    ...(request.agent ? { agent: request.agent } : {}),
    ...(request.system ? { system: request.system } : {}),
    files: [...request.files],
    ...(request.sessionId ? { sessionId: request.sessionId } : {}),
    ...(server ? { server } : {}),
    startedAt: request.startedAt ?? Date.now(),
    ...(request.reportSchema ? { reportSchema: request.reportSchema } : {}),
    ...(request.parkRateLimitAfterMs !== undefined
      ? { parkRateLimitAfterMs: request.parkRateLimitAfterMs }
      : {}),
    ...(request.maxFailedRequests !== undefined ? { maxFailedRequests: request.maxFailedRequests } : {}),
    ...(request.sandbox ? { sandbox: request.sandbox } : {}),
    ...(request.claude ? { claude: request.claude } : {}),
    ...(request.codex ? { codex: request.codex } : {}),
    ...(request.taskPrompt !== undefined ? { taskPrompt: request.taskPrompt } : {}),
    ...(request.repo ? { repo: request.repo } : {}),
  };
}

/** A retryable failure the fleet itself reports (worker gone, job lost, Redis trouble). */
export function failedAttempt(type: AttemptFailure["type"], message: string): AttemptResult {
  return {
    status: "failed",
    failure: { type, message, retryable: true },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  };
}
