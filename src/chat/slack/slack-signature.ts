import { createHmac, timingSafeEqual } from "node:crypto";

/** Requests older (or newer) than this are refused as replays, as Slack recommends. */
export const slackReplayWindowMs = 5 * 60_000;

/**
 * Slack's request signature: `v0=` and the hex HMAC-SHA256 of `v0:TIMESTAMP:BODY` with the app's
 * signing secret, compared in constant time; the timestamp within five minutes of `now`.
 */
export function slackRequestProblem(
  secret: string,
  rawBody: string,
  headers: { timestamp?: string; signature?: string },
  now: number,
): string | undefined {
  const seconds = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isFinite(seconds)) return "missing X-Slack-Request-Timestamp";
  if (Math.abs(now - seconds * 1000) > slackReplayWindowMs) return "the request is older than five minutes";
  if (!headers.signature?.startsWith("v0=")) return "missing X-Slack-Signature";
  const expected = Buffer.from(slackSignature(secret, headers.timestamp, rawBody));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? undefined
    : "wrong X-Slack-Signature";
}

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}
