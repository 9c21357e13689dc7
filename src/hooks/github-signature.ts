import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body with the
 * webhook's secret, compared in constant time.
 */
export function validGithubSignature(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const expected = Buffer.from(githubSignature(secret, rawBody));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value for a body (for stand-ins and tests that play GitHub). */
export function githubSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/** Why a signed delivery was refused: no secret set (503), a missing or wrong signature (401), not JSON (400). */
export interface SignedRefusal {
  status: 400 | 401 | 503;
  body: { error: string };
}

/**
 * A JSON delivery signed as GitHub signs (HMAC-SHA256 of the raw body): its parsed body, or the
 * answer refusing it. `names` say which secret and which header, for the errors.
 */
export function readSignedJson(
  delivery: { rawBody: string; signature?: string },
  secret: string | undefined,
  names: { secret: string; header: string },
): { body: unknown } | { refused: SignedRefusal } {
  if (!secret) return { refused: { status: 503, body: { error: `${names.secret} is not set` } } };
  if (!validGithubSignature(secret, delivery.rawBody, delivery.signature))
    return { refused: { status: 401, body: { error: `missing or wrong ${names.header}` } } };
  try {
    return { body: JSON.parse(delivery.rawBody) as unknown };
  } catch {
    return { refused: { status: 400, body: { error: "the body is not JSON" } } };
  }
}
