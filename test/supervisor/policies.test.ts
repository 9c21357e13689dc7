import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CapacitySettings,
  RetryPolicySettings,
  StaggerSettings,
} from "../../src/config/supervisor-settings.ts";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import { planRounds } from "../../src/queue/plan-rounds.ts";
import { orderReady } from "../../src/queue/strategy.ts";
import { computeCapacity, fitsCaps } from "../../src/supervisor/capacity.ts";
import { renderLineage } from "../../src/supervisor/lineage.ts";
import { backoffFor, decideRetry } from "../../src/supervisor/retry-policy.ts";
import { LaunchStagger } from "../../src/supervisor/stagger.ts";

const spec = (id: string, dependsOn: string[] = [], title = id): TaskSpec => ({
  id,
  prompt: `do ${id}`,
  title,
  dir: "/w",
  model: "p/m",
  files: [],
  timeoutMs: 1000,
  dependsOn,
});

describe("capacity", () => {
  const settings = CapacitySettings.parse({ maxWorkers: 10, ramPerWorkerMb: 500, ramReserveMb: 2000 });

  it("is limited by memory: floor((free − reserve) / per worker)", () => {
    const c = computeCapacity(settings, { freeMemoryMb: 4600, running: 0, engineRamMb: 40 });
    assert.deepEqual([c.slots, c.limitedBy, c.free], [5, "memory", 5]);
  });

  it("is limited by maxWorkers when memory is plentiful", () => {
    const c = computeCapacity(settings, { freeMemoryMb: 64_000, running: 3, engineRamMb: 40 });
    assert.deepEqual([c.slots, c.used, c.free, c.limitedBy], [10, 3, 7, "maxWorkers"]);
  });

  it("counts memory already held by running attempts, and never drops below one slot", () => {
    // 2 running hold 1000 MB; 2500 free: (2500 − 2000 + 1000) / 500 = 3 slots.
    assert.equal(computeCapacity(settings, { freeMemoryMb: 2500, running: 2, engineRamMb: 100 }).slots, 3);
    const starved = computeCapacity(settings, { freeMemoryMb: 100, running: 0, engineRamMb: 100 });
    assert.deepEqual([starved.slots, starved.limitedBy], [1, "minimum"]);
  });

  it("uses the engine's measured RAM per attempt by default", () => {
    const defaults = CapacitySettings.parse({ maxWorkers: 1000, ramReserveMb: 0 });
    assert.equal(computeCapacity(defaults, { freeMemoryMb: 6400, running: 0, engineRamMb: 640 }).slots, 10);
    assert.equal(computeCapacity(defaults, { freeMemoryMb: 400, running: 0, engineRamMb: 40 }).slots, 10);
  });

  it("applies per-directory and per-provider/model caps, and lowered provider limits", () => {
    const caps = CapacitySettings.parse({ perDir: 2, perProvider: { anthropic: 3, "openai/gpt-5": 1 } });
    const running = [
      { dir: "/a", model: "anthropic/x" },
      { dir: "/a", model: "anthropic/y" },
      { dir: "/b", model: "openai/gpt-5" },
    ];
    assert.match(fitsCaps(caps, running, { dir: "/a", model: "p/m" }, new Map()) ?? "", /directory cap 2/);
    assert.equal(fitsCaps(caps, running, { dir: "/c", model: "anthropic/z" }, new Map()), undefined);
    assert.match(
      fitsCaps(caps, running, { dir: "/c", model: "anthropic/z" }, new Map([["anthropic", 2]])) ?? "",
      /provider cap 2/,
    );
    assert.match(
      fitsCaps(caps, running, { dir: "/c", model: "openai/gpt-5" }, new Map()) ?? "",
      /model cap 1/,
    );
  });
});

describe("launch stagger (fake clock)", () => {
  it("launches the first at once, then keeps the fixed gap", () => {
    const stagger = new LaunchStagger(StaggerSettings.parse({ gapMs: 1000, adaptive: false }));
    assert.deepEqual(stagger.next(5000), { notBefore: 5000, gapMs: 0, reason: "first launch" });
    stagger.recordLaunch(5000);
    assert.equal(stagger.next(5200).notBefore, 6000);
    stagger.recordLaunch(6000);
    assert.equal(stagger.next(9000).notBefore, 7000, "a late call may launch at once");
  });

  it("lengthens the gap after recent failures and rate limits, forgets them after the window, and caps it", () => {
    const stagger = new LaunchStagger(
      StaggerSettings.parse({
        gapMs: 1000,
        perFailureMs: 2000,
        perRateLimitMs: 5000,
        windowMs: 60_000,
        maxGapMs: 10_000,
      }),
    );
    stagger.recordLaunch(0);
    stagger.recordFailure(100);
    let gap = stagger.next(200);
    assert.equal(gap.gapMs, 3000);
    assert.match(gap.reason, /1 recent failure/);
    stagger.recordRateLimit(300);
    assert.equal(stagger.next(400).gapMs, 8000);
    stagger.recordRateLimit(500);
    assert.equal(stagger.next(600).gapMs, 10_000, "capped");
    gap = stagger.next(70_000);
    assert.equal(gap.gapMs, 1000, "outside the window only the fixed gap remains");
  });

  it("adds jitter from the injected random source", () => {
    const stagger = new LaunchStagger(
      StaggerSettings.parse({ gapMs: 100, adaptive: false, jitterMs: 50 }),
      () => 0.5,
    );
    stagger.recordLaunch(0);
    assert.equal(stagger.next(0).gapMs, 125);
  });
});

describe("retry policy", () => {
  const policy = RetryPolicySettings.parse({
    maxAttempts: 3,
    maxContinuations: 2,
    initialBackoff: 1000,
    maxBackoff: 5000,
    jitter: 0,
  });
  const failure = (type: string, retryable = true) =>
    ({ type, message: `${type} happened`, retryable }) as never;

  it("fails non-retryable errors at once", () => {
    assert.equal(
      decideRetry(policy, { failure: failure("auth_error", false), attempts: 1, continuations: 0, now: 0 })
        .kind,
      "fail",
    );
  });

  it("continues the same session when the agent stopped short, up to the limit, then retries fresh", () => {
    assert.equal(
      decideRetry(policy, { failure: failure("no_output"), attempts: 1, continuations: 1, now: 0 }).kind,
      "continue",
    );
    const fresh = decideRetry(policy, {
      failure: failure("no_output"),
      attempts: 1,
      continuations: 2,
      now: 0,
    });
    assert.deepEqual([fresh.kind, fresh.kind === "retry" && fresh.delayMs], ["retry", 1000]);
  });

  it("never continues a provider's failure in its session: a fresh attempt, within the request budget", () => {
    const fresh = decideRetry(policy, {
      failure: failure("model_error"),
      attempts: 1,
      continuations: 0,
      failedRequests: 6,
      now: 0,
    });
    assert.equal(fresh.kind, "retry");
    const spent = decideRetry(policy, {
      failure: failure("model_error"),
      attempts: 1,
      continuations: 0,
      failedRequests: 8,
      now: 0,
    });
    assert.equal(spent.kind, "fail");
    assert.match(spent.reason, /model_error happened \(8 failed model requests: retry budget/);
  });

  it("backs off exponentially, capped, with jitter, and gives up after maxAttempts", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffFor(policy, n, () => 0.5)),
      [1000, 2000, 4000, 5000, 5000],
    );
    const jittery = RetryPolicySettings.parse({ initialBackoff: 1000, jitter: 0.2 });
    assert.equal(
      backoffFor(jittery, 1, () => 0),
      800,
    );
    assert.equal(
      backoffFor(jittery, 1, () => 1),
      1200,
    );
    const done = decideRetry(policy, {
      failure: failure("engine_crashed"),
      attempts: 3,
      continuations: 0,
      now: 0,
    });
    assert.equal(done.kind, "fail");
    assert.match(done.reason, /after 3 attempts/);
  });

  it("parks rate limits until the reset time instead of failing", () => {
    const park = decideRetry(policy, {
      failure: failure("rate_limited"),
      attempts: 3,
      continuations: 2,
      now: 100,
      rateLimitedUntil: 9000,
    });
    assert.deepEqual([park.kind, park.kind === "park" && park.until], ["park", 9000]);
  });
});

describe("batch strategies and plan", () => {
  const batch = [spec("a.1"), spec("a.2"), spec("a.3"), spec("b.1"), spec("b.2"), spec("c")];
  const all = batch.map((t) => t.id);

  it("depth-first finishes one branch before the next", () => {
    assert.deepEqual(planRounds(batch, "depth-first", 2), [
      ["a.1", "a.2"],
      ["a.3", "b.1"],
      ["b.2", "c"],
    ]);
    // A branch already under way comes first.
    assert.deepEqual(
      orderReady("depth-first", { ready: ["a.3", "b.2", "c"], all, running: ["b.1"], done: [] }),
      ["b.2", "a.3", "c"],
    );
  });

  it("breadth-first takes one task per branch per round", () => {
    assert.deepEqual(planRounds(batch, "breadth-first", 3), [
      ["a.1", "b.1", "c"],
      ["a.2", "b.2", "a.3"],
    ]);
    assert.deepEqual(
      orderReady("breadth-first", { ready: ["a.2", "a.3", "b.2"], all, running: ["a.1"], done: [] }),
      ["b.2", "a.2", "a.3"],
    );
  });

  it("respects dependencies in the plan", () => {
    const dag = [spec("build"), spec("test", ["build"]), spec("docs"), spec("ship", ["test", "docs"])];
    assert.deepEqual(planRounds(dag, "depth-first", 4), [["build", "docs"], ["test"], ["ship"]]);
  });
});

describe("task lineage", () => {
  it("renders the seeds' block for a dotted task with parallel siblings", () => {
    const batch = [
      spec("t1408", [], "Build a CRM"),
      spec("t1408.1", [], "Contact management"),
      spec("t1408.2", [], "Deal pipeline"),
      spec("t1408.3", [], "Email integration"),
    ];
    assert.equal(
      renderLineage(batch[2] as TaskSpec, batch),
      [
        "TASK LINEAGE:",
        "0. [parent] Build a CRM (t1408)",
        "1. Contact management (t1408.1)",
        "2. Deal pipeline (t1408.2) <-- THIS TASK",
        "3. Email integration (t1408.3)",
        'LINEAGE RULES: Focus ONLY on "<-- THIS TASK". Stub sibling deps. Exit BLOCKED if hard dependency.',
      ].join("\n"),
    );
  });

  it("is left out for root ids and for siblings that run strictly in sequence", () => {
    const chain = [spec("t1.1"), spec("t1.2", ["t1.1"]), spec("t1.3", ["t1.2"])];
    assert.equal(renderLineage(chain[1] as TaskSpec, chain), undefined);
    assert.equal(renderLineage(spec("t1"), [spec("t1")]), undefined);
    const partly = [...chain, spec("t1.4")];
    assert.match(
      renderLineage(partly[0] as TaskSpec, partly) ?? "",
      /0\. \[parent\] t1 \(t1\)\n1\. do t1\.1 \(t1\.1\) <-- THIS TASK/,
    );
  });
});
