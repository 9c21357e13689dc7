import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { StaggerSettings } from "../../src/config/supervisor-settings.ts";
import { ProviderLimits } from "../../src/supervisor/provider-limits.ts";
import { LaunchStagger } from "../../src/supervisor/stagger.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

describe("adaptive concurrency per provider (AIMD, fake clock)", () => {
  it("a burst of rate limits from one wave cuts the limit once, by half", () => {
    const limits = new ProviderLimits({ cooldownMs: 60_000, ceiling: 8 });
    const first = limits.onRateLimit("p", {
      running: 8,
      startedAt: 0,
      now: 1_000,
      resetAt: 9_000,
      reason: "429",
    });
    assert.equal(first?.limit, 4);
    // The other seven attempts of the same burst were launched before the cut: no further cut.
    for (let i = 0; i < 7; i++) {
      const again = limits.onRateLimit("p", {
        running: 7 - i,
        startedAt: 0,
        now: 1_100,
        resetAt: 9_000,
        reason: "429",
      });
      assert.equal(again, undefined);
    }
    assert.equal(limits.active(2_000).limits.get("p"), 4);
    // An attempt launched after the cut that is limited again halves it again.
    assert.equal(
      limits.onRateLimit("p", { running: 4, startedAt: 1_500, now: 3_000, resetAt: 9_000, reason: "429" })
        ?.limit,
      2,
    );
  });

  it("recovers: each success adds one back, and the limit is dropped at the supervisor's cap", () => {
    const limits = new ProviderLimits({ cooldownMs: 600_000, ceiling: 8 });
    limits.onRateLimit("p", { running: 8, startedAt: 0, now: 1_000, reason: "429" });
    limits.onRateLimit("p", { running: 4, startedAt: 1_000, now: 2_000, reason: "429" });
    limits.onRateLimit("p", { running: 2, startedAt: 2_000, now: 3_000, reason: "429" });
    assert.equal(limits.active(3_000).limits.get("p"), 1);
    const seen: (number | null | "unchanged")[] = [];
    for (let i = 0; i < 7; i++) {
      const change = limits.onSuccess("p");
      seen.push(change ? change.limit : "unchanged");
    }
    assert.deepEqual(seen, [2, 3, 4, 5, 6, 7, null]);
    assert.equal(limits.active(4_000).limits.has("p"), false);
    assert.equal(limits.onSuccess("p"), undefined, "nothing to raise once recovered");
  });

  it("a lowered limit lapses after the cooldown past the provider's reset", () => {
    const limits = new ProviderLimits({ cooldownMs: 5_000, ceiling: 8 });
    limits.onRateLimit("p", { running: 2, startedAt: 0, now: 1_000, resetAt: 3_000, reason: "429" });
    assert.equal(limits.nextLapse(), 8_000);
    assert.equal(limits.active(7_999).limits.get("p"), 1);
    const { limits: now, lapsed } = limits.active(8_000);
    assert.equal(now.has("p"), false);
    assert.deepEqual(lapsed, [{ key: "p", limit: null, reason: "rate-limit cooldown over" }]);
  });
});

describe("adaptive stagger (fake clock)", () => {
  const settings = StaggerSettings.parse({ gapMs: 100, perFailureMs: 2_000, perRateLimitMs: 5_000 });

  it("adds no extra gap when nothing is running: an idle pool launches at the fixed gap", () => {
    const stagger = new LaunchStagger(settings);
    stagger.recordLaunch(0);
    for (const at of [10, 20, 30, 40]) stagger.recordFailure(at);
    assert.equal(stagger.next(1_000, 0).gapMs, 100);
    assert.equal(stagger.next(1_000, 0).notBefore, 100);
    // With attempts running, the same history spaces the burst out.
    assert.equal(stagger.next(1_000, 2).gapMs, 8_100);
  });

  it("a success clears the failure and rate-limit history", () => {
    const stagger = new LaunchStagger(settings);
    stagger.recordLaunch(0);
    stagger.recordFailure(10);
    stagger.recordRateLimit(20);
    assert.equal(stagger.next(100, 1).gapMs, 7_100);
    stagger.recordSuccess();
    assert.equal(stagger.next(100, 1).gapMs, 100);
  });
});

describe("throughput after a burst of rate limits (real OpenCode, scripted model)", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness({
      "capacity.maxWorkers": 6,
      parkRateLimitAfter: "1s",
      rateLimitCooldown: "10m",
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("cuts concurrency on a burst of 429s, then raises it again as requests succeed", async () => {
    const prompt = "[[error 429 times=1 retry-after=2]] [[reply ok]]";
    const specs = Array.from({ length: 12 }, (_, i) => h.task(`t${i}`, prompt));
    const results = await h.run(specs);
    assert.deepEqual(
      results.tasks.map((task) => task.status),
      specs.map(() => "succeeded"),
    );
    const limits = h.events.filter((event) => event.type === "supervisor.limit");
    const cuts = limits.filter(
      (event) => event.type === "supervisor.limit" && event.reason !== "a request succeeded",
    );
    assert.ok(cuts.length >= 1, "a rate limit lowered the provider's concurrency");
    const lowest = Math.min(
      ...limits.map((event) =>
        event.type === "supervisor.limit" && event.limit !== null ? event.limit : 99,
      ),
    );
    assert.ok(lowest >= 1);
    // It came back: the limit rose after successes, up to being dropped (10-minute cooldown notwithstanding).
    assert.ok(
      limits.some((event) => event.type === "supervisor.limit" && event.reason === "a request succeeded"),
      "additive increase after successes",
    );
    assert.ok(
      limits.some((event) => event.type === "supervisor.limit" && event.limit === null),
      `the lowered limit was dropped once requests succeeded: ${JSON.stringify(limits.map((e) => e.type === "supervisor.limit" && [e.limit, e.reason]))}`,
    );
  });
});
