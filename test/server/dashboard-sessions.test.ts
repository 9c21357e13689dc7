import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardSessions, dashboardSessionMaxAgeMs } from "../../src/server/dashboard-sessions.ts";

describe("dashboard sessions", () => {
  it("a login lasts its maximum age, is tied to the token, and cannot be altered", () => {
    let now = 1_000_000;
    const sessions = new DashboardSessions("drv_token-a", () => now);
    const { cookieValue, session } = sessions.issue();
    assert.ok(!cookieValue.includes("drv_token-a"));
    assert.deepEqual(sessions.read(cookieValue), session);
    assert.ok(sessions.csrfMatches(session, session.csrf));
    assert.ok(!sessions.csrfMatches(session, `${session.csrf}x`));
    assert.ok(!sessions.csrfMatches(session, undefined));

    const [stamp, nonce, mac] = cookieValue.split(".") as [string, string, string];
    const later = (now + 3_600_000).toString(36);
    assert.equal(
      sessions.read(`${later}.${nonce}.${mac}`),
      undefined,
      "a moved issue time breaks the signature",
    );
    assert.equal(sessions.read(`${stamp}.${nonce}x.${mac}`), undefined);
    assert.equal(sessions.read("garbage"), undefined);
    assert.equal(sessions.read(undefined), undefined);

    const otherToken = new DashboardSessions("drv_token-b", () => now);
    assert.equal(otherToken.read(cookieValue), undefined, "a new token ends every login");
    assert.notEqual(otherToken.cookieName, sessions.cookieName, "two daemons keep separate cookies");

    now += dashboardSessionMaxAgeMs + 1;
    assert.equal(sessions.read(cookieValue), undefined, "expired");
  });

  it("a revoked login is refused; others go on", () => {
    const sessions = new DashboardSessions("drv_token");
    const first = sessions.issue();
    const second = sessions.issue();
    sessions.revoke(first.session);
    assert.equal(sessions.read(first.cookieValue), undefined);
    assert.ok(sessions.read(second.cookieValue));
    assert.notEqual(first.session.csrf, second.session.csrf);
  });
});
