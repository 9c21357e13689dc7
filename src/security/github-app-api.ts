import { z } from "zod";
import { errorMessage } from "../core/errors.ts";

// The two GitHub REST calls of a GitHub App's token life: mint an installation token for one
// repository, and revoke it. Plain fetch: the answers are small and the token must never be kept
// in a client's cache after it is revoked.

/** A minted installation token, as GitHub answers it. */
export interface InstallationToken {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
  permissions: Record<string, string>;
}

export type ApiResult<T> = ({ ok: true } & T) | { ok: false; message: string };

const MintAnswer = z.object({
  token: z.string().min(1),
  expires_at: z.string(),
  permissions: z.record(z.string(), z.string()).optional(),
});

/** A call that hangs must not hold a delivery forever. */
const requestTimeoutMs = 30_000;

/**
 * `POST /app/installations/{id}/access_tokens` with `repositories: [name]` and `permissions`:
 * a token that reaches only that repository, with only those permissions.
 */
export async function mintInstallationToken(request: {
  apiBaseUrl: string;
  jwt: string;
  installationId: number | string;
  repository: string;
  permissions: Record<string, string>;
}): Promise<ApiResult<InstallationToken>> {
  const url = `${trimmed(request.apiBaseUrl)}/app/installations/${request.installationId}/access_tokens`;
  const answered = await call(url, {
    method: "POST",
    authorization: `Bearer ${request.jwt}`,
    body: { repositories: [request.repository], permissions: request.permissions },
  });
  if (!answered.ok) return answered;
  const parsed = MintAnswer.safeParse(answered.body);
  const expiresAt = parsed.success ? Date.parse(parsed.data.expires_at) : Number.NaN;
  if (!parsed.success || Number.isNaN(expiresAt))
    return { ok: false, message: "GitHub's answer holds no token and expiry" };
  return {
    ok: true,
    token: parsed.data.token,
    expiresAt,
    permissions: parsed.data.permissions ?? request.permissions,
  };
}

/** `DELETE /installation/token`, authenticated by the token itself: it stops working at once. */
export async function revokeInstallationToken(request: {
  apiBaseUrl: string;
  token: string;
}): Promise<ApiResult<object>> {
  const answered = await call(`${trimmed(request.apiBaseUrl)}/installation/token`, {
    method: "DELETE",
    authorization: `Bearer ${request.token}`,
  });
  return answered.ok ? { ok: true } : answered;
}

async function call(
  url: string,
  request: { method: string; authorization: string; body?: unknown },
): Promise<ApiResult<{ body: unknown }>> {
  try {
    const response = await fetch(url, {
      method: request.method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: request.authorization,
        "user-agent": "drover",
        "x-github-api-version": "2022-11-28",
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = await response.text();
    const body: unknown = text ? safeJson(text) : undefined;
    if (response.ok) return { ok: true, body };
    const said = (body as { message?: unknown } | undefined)?.message;
    return {
      ok: false,
      message: `${request.method} ${new URL(url).pathname} answered ${response.status}${typeof said === "string" ? `: ${said}` : ""}`,
    };
  } catch (error) {
    return { ok: false, message: `${request.method} ${url} failed: ${errorMessage(error)}` };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function trimmed(url: string): string {
  return url.replace(/\/+$/, "");
}
