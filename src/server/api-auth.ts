import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { DroverEventBody } from "../core/events.ts";
import { tokenMatches } from "../security/api-token.ts";

/** How often one remote address may add an `api.auth_failed` event; the rest are counted into the next. */
export const authFailureWindowMs = 10_000;

/** More remotes than this in the table and those quiet for a window are dropped. */
const maxTrackedRemotes = 1000;

type AuthFailedEvent = Extract<DroverEventBody, { type: "api.auth_failed" }>;

/**
 * Records refused credentials as `api.auth_failed` events — who (remote address), where (method,
 * path), why — never what was presented. At most one event per remote address per window, carrying
 * how many failures it stands for, so a flood of bad tokens cannot fill the store.
 */
export class AuthFailures {
  readonly #report: (event: AuthFailedEvent) => void;
  readonly #now: () => number;
  /** Per remote: when its last event was recorded, and the failures since that were not. */
  readonly #remotes = new Map<string, { reportedAt: number; unreported: number }>();

  constructor(report: (event: AuthFailedEvent) => void, now: () => number = Date.now) {
    this.#report = report;
    this.#now = now;
  }

  record(c: Context, reason: string): void {
    const remote = remoteAddress(c);
    const now = this.#now();
    const seen = this.#remotes.get(remote);
    if (seen && now - seen.reportedAt < authFailureWindowMs) {
      seen.unreported++;
      return;
    }
    this.#forgetQuietRemotes(now);
    this.#remotes.set(remote, { reportedAt: now, unreported: 0 });
    this.#report({
      type: "api.auth_failed",
      remote,
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      reason,
      count: (seen?.unreported ?? 0) + 1,
    });
  }

  #forgetQuietRemotes(now: number): void {
    if (this.#remotes.size < maxTrackedRemotes) return;
    for (const [remote, seen] of this.#remotes)
      if (now - seen.reportedAt >= authFailureWindowMs) this.#remotes.delete(remote);
  }
}

/**
 * The API's credential check: `Authorization: Bearer <token>` (compared in constant time), or the
 * dashboard's login cookie. Anything else is a 401 and an `api.auth_failed` event.
 */
export function requireToken(deps: {
  token: string;
  signedIn: (c: Context) => boolean;
  failures: AuthFailures;
}): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const presented = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    if (tokenMatches(presented, deps.token) || deps.signedIn(c)) return next();
    deps.failures.record(c, failureReason(header, presented, c.req.header("cookie")));
    return c.json(
      { error: { code: "unauthorized", message: "missing or wrong bearer token (see .drover/api-token)" } },
      401,
      { "www-authenticate": 'Bearer realm="drover"' },
    );
  };
}

function failureReason(
  header: string | undefined,
  presented: string | undefined,
  cookie: string | undefined,
) {
  if (presented !== undefined) return "wrong bearer token";
  if (header !== undefined) return "an Authorization header that is not a bearer token";
  if (cookie !== undefined) return "no valid dashboard login";
  return "no token";
}

/** The peer's address (`unknown` for requests made in-process, as tests do). */
function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
