import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a dashboard login lasts before the login page asks for the token again. */
export const dashboardSessionMaxAgeMs = 24 * 3_600_000;

/** A signed-in browser: which login it is, and the value its page must echo on every change. */
export interface DashboardSession {
  nonce: string;
  issuedAt: number;
  /** What `X-Drover-CSRF` must carry on POST, PUT, PATCH and DELETE made with this cookie. */
  csrf: string;
}

/**
 * Dashboard logins without a session table: the cookie is `issuedAt.nonce.mac`, signed with a key
 * derived from the API token. So the cookie is never the token itself, a login outlives a daemon
 * restart, and a new token ends every login. The CSRF value is derived from the same key and nonce.
 */
export class DashboardSessions {
  /** The cookie's name carries a fingerprint of the key: two daemons on one host (other ports, other
   * tokens) share cookies by host name, and must not overwrite each other's login. */
  readonly cookieName: string;
  readonly #key: Buffer;
  readonly #now: () => number;
  /** Logged-out nonces until their login would have expired anyway (lost on restart, with the cookie). */
  readonly #revoked = new Map<string, number>();

  constructor(token: string, now: () => number = Date.now) {
    this.#key = createHmac("sha256", token).update("drover dashboard session key v1").digest();
    this.#now = now;
    this.cookieName = `drover_session_${this.#sign("cookie name").slice(0, 8)}`;
  }

  /** A new login: the cookie value to set and the session it stands for. */
  issue(): { cookieValue: string; session: DashboardSession } {
    const issuedAt = this.#now();
    const nonce = randomBytes(18).toString("base64url");
    const stamp = issuedAt.toString(36);
    return {
      cookieValue: `${stamp}.${nonce}.${this.#sign(`session|${stamp}|${nonce}`)}`,
      session: { nonce, issuedAt, csrf: this.#sign(`csrf|${nonce}`) },
    };
  }

  /** The session a cookie value stands for, or undefined when it is forged, expired or logged out. */
  read(cookieValue: string | undefined): DashboardSession | undefined {
    const parts = cookieValue?.split(".");
    if (parts?.length !== 3) return undefined;
    const [stamp, nonce, mac] = parts as [string, string, string];
    if (!sameText(mac, this.#sign(`session|${stamp}|${nonce}`))) return undefined;
    const issuedAt = Number.parseInt(stamp, 36);
    const now = this.#now();
    if (!Number.isFinite(issuedAt) || issuedAt > now || now - issuedAt > dashboardSessionMaxAgeMs)
      return undefined;
    if (this.#revoked.has(nonce)) return undefined;
    return { nonce, issuedAt, csrf: this.#sign(`csrf|${nonce}`) };
  }

  /** Logs a session out: its cookie is refused from now on. */
  revoke(session: DashboardSession): void {
    const now = this.#now();
    for (const [nonce, until] of this.#revoked) if (until < now) this.#revoked.delete(nonce);
    this.#revoked.set(session.nonce, session.issuedAt + dashboardSessionMaxAgeMs);
  }

  /** Whether a presented CSRF value is this session's (constant time). */
  csrfMatches(session: DashboardSession, presented: string | undefined): boolean {
    return presented !== undefined && sameText(presented, session.csrf);
  }

  #sign(text: string): string {
    return createHmac("sha256", this.#key).update(text).digest("base64url");
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
