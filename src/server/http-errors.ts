import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { DroverError, type ErrorCode, errorMessage } from "../core/errors.ts";

/** The one place that maps error codes to HTTP statuses. */
const statusByCode: Partial<Record<ErrorCode, 400 | 404 | 409 | 503>> = {
  bad_input: 400,
  bad_config: 400,
  unknown_model: 400,
  provider_unreachable: 400,
  not_found: 404,
  conflict: 409,
  engine_unavailable: 503,
  storage_failed: 503,
};

export function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof DroverError) {
    const status = statusByCode[error.code] ?? 500;
    return c.json({ error: { code: error.code, message: error.message, issues: error.issues } }, status);
  }
  return c.json({ error: { code: "internal", message: errorMessage(error) } }, 500);
}

/** 413 for a body over `daemon.maxBodySize`, in the same error shape as every other refusal. */
export function tooLargeResponse(c: Context, maxBodySize: number): Response {
  const message = `request body is larger than ${maxBodySize} bytes (daemon.maxBodySize)`;
  return c.json(
    { error: { code: "too_large", message, issues: [{ source: "request", path: "", message }] } },
    413,
  );
}

/** Reads at most `maxBodySize` bytes of a body (counted as it arrives); over it, `tooLargeResponse`. */
export function limitBody(maxBodySize: number): MiddlewareHandler {
  return bodyLimit({ maxSize: maxBodySize, onError: (c) => tooLargeResponse(c, maxBodySize) });
}
