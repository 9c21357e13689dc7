import type { AttemptFailure } from "../../core/outcome.ts";

/** Maps an OpenCode message/session error (`{name, data}`) to a typed attempt failure. */
export function classifyOpencodeError(error: {
  name?: string;
  data?: Record<string, unknown>;
}): AttemptFailure {
  const name = error.name ?? "UnknownError";
  const data = error.data ?? {};
  const message = typeof data.message === "string" ? data.message : name;
  const statusCode = typeof data.statusCode === "number" ? data.statusCode : undefined;
  const withStatus = statusCode !== undefined ? { statusCode } : {};
  if (name === "MessageAbortedError") return { type: "cancelled", message, retryable: false };
  if (name === "ProviderAuthError" || statusCode === 401 || statusCode === 403) {
    return { type: "auth_error", message, retryable: false, ...withStatus };
  }
  if (statusCode === 429) return { type: "rate_limited", message, retryable: true, ...withStatus };
  if (name === "APIError") {
    const retryable = data.isRetryable === true || (statusCode !== undefined && statusCode >= 500);
    return { type: "model_error", message, retryable, ...withStatus };
  }
  return { type: "model_error", message: `${name}: ${message}`, retryable: false, ...withStatus };
}
