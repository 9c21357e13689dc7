import type { AttemptFailure } from "../../core/outcome.ts";

/** A CLI's failed model request as drover's failure: by the provider's HTTP status when it says one. */
export function failureOfStatus(status: number | undefined, message: string): AttemptFailure {
  const withStatus = status !== undefined ? { statusCode: status } : {};
  if (status === 401 || status === 403)
    return { type: "auth_error", message, retryable: false, ...withStatus };
  if (status === 429) return { type: "rate_limited", message, retryable: true, ...withStatus };
  if (status !== undefined && status >= 500)
    return { type: "model_error", message, retryable: true, ...withStatus };
  if (status !== undefined) return { type: "model_error", message, retryable: false, ...withStatus };
  return { type: "agent_failed", message, retryable: true };
}
