import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { WatchdogSettings } from "../../src/config/watchdog-settings.ts";
import { DroverError } from "../../src/core/errors.ts";
import { type AttemptObservation, judgeAttempt } from "../../src/watchdog/judge.ts";

// The watchdog's policy table on a made-up clock: every budget, every remedy, and the cases that
// must never be acted on (slow but steady).

const settings = WatchdogSettings.parse({
  startTimeout: 60,
  firstByte: 90,
  stallAfter: 120,
  toolIdle: 300,
  toolLimit: { bash: "20m", default: "30m" },
  permissionTimeout: 600,
  thrashSteps: 10,
});
const base: AttemptObservation = { now: 0, liveness: "thinking", promptAt: 0, stepsWithoutChange: 0 };
const at = (now: number, seen: Partial<AttemptObservation>) =>
  judgeAttempt(settings, { ...base, ...seen, now });

describe("watchdog judge (made-up clock)", () => {
  it("starting: no model request within startTimeout → restart", () => {
    assert.equal(at(59_999, {}), undefined);
    assert.deepEqual([at(60_000, {})?.state, at(60_000, {})?.remedy], ["starting", "restart"]);
  });

  it("no first byte within firstByte → retry", () => {
    assert.equal(at(89_999, { requestAt: 0 }), undefined);
    assert.equal(at(90_000, { requestAt: 0 })?.remedy, "retry");
    assert.equal(at(90_000, { requestAt: 0 })?.state, "no_first_byte");
  });

  it("a stream silent for stallAfter → continue; a slow but steady stream never", () => {
    assert.equal(at(130_000, { requestAt: 0, lastByteAt: 10_001 }), undefined);
    const stalled = at(130_001, { requestAt: 0, lastByteAt: 10_001 });
    assert.deepEqual([stalled?.state, stalled?.remedy], ["stalled", "continue"]);
    // One byte every 100 s for an hour: always within the budget.
    for (let now = 100_000; now < 3_600_000; now += 100_000)
      assert.equal(at(now + 99_000, { requestAt: 0, lastByteAt: now }), undefined);
  });

  it("a tool with no output and no CPU for toolIdle → kill; output or CPU keeps it alive up to its limit", () => {
    const tool = {
      name: "bash",
      command: "sleep 9999 &",
      startedAt: 0,
      outputBytes: 8,
      outputAt: 0,
      cpuMs: 3,
      cpuAt: 0,
    };
    assert.equal(at(299_999, { liveness: "in_tool", tool }), undefined);
    const hung = at(300_000, { liveness: "in_tool", tool });
    assert.deepEqual([hung?.state, hung?.remedy], ["tool_hung", "kill_tool"]);
    assert.equal(hung?.evidence.command, "sleep 9999 &");
    const printing = { ...tool, outputAt: 1_000_000 };
    assert.equal(at(1_100_000, { liveness: "in_tool", tool: printing }), undefined);
    const computing = { ...tool, cpuAt: 1_100_000 };
    assert.equal(at(1_199_000, { liveness: "in_tool", tool: computing }), undefined);
    const limit = at(20 * 60_000, { liveness: "in_tool", tool: { ...tool, outputAt: 20 * 60_000 - 1 } });
    assert.deepEqual([limit?.state, limit?.remedy], ["tool_limit", "kill_tool"]);
    const other = at(20 * 60_000, {
      liveness: "in_tool",
      tool: { ...tool, name: "webfetch", outputAt: 20 * 60_000 - 1 },
    });
    assert.equal(other, undefined, "other tools have the default limit (30m)");
  });

  it("a tool whose processes keep writing is alive though OpenCode shows no new output", () => {
    const tool = {
      name: "bash",
      command: "make",
      startedAt: 0,
      outputBytes: 0,
      outputAt: 0,
      cpuMs: 0,
      cpuAt: 0,
    };
    const writing = { ...tool, wroteBytes: 4_096, wroteAt: 600_000 };
    assert.equal(at(899_999, { liveness: "in_tool", tool: writing }), undefined);
    const hung = at(900_000, { liveness: "in_tool", tool: writing });
    assert.equal(hung?.state, "tool_hung");
    assert.match(
      hung?.message ?? "",
      /no output for 15m00s, no writes for 5m00s, no CPU for 15m00s: killed$/,
    );
    assert.deepEqual([hung?.evidence.wroteBytes, hung?.evidence.wroteAt], [4_096, 600_000]);
    const unread = at(300_000, { liveness: "in_tool", tool });
    assert.doesNotMatch(unread?.message ?? "", /writes/, "writes not read: not mentioned");
  });

  it("a permission no one answers → deny after permissionTimeout", () => {
    assert.equal(at(599_999, { liveness: "awaiting_permission", permissionSince: 0 }), undefined);
    assert.equal(at(600_000, { liveness: "awaiting_permission", permissionSince: 0 })?.remedy, "deny");
  });

  it("rate limited is left to parking; thrashing is flagged once", () => {
    assert.equal(at(10_000_000, { liveness: "rate_limited" }), undefined);
    assert.equal(at(1, { requestAt: 0, lastByteAt: 1, stepsWithoutChange: 10 })?.remedy, "flag");
    assert.equal(
      at(1, { requestAt: 0, lastByteAt: 1, stepsWithoutChange: 10, thrashFlagged: true }),
      undefined,
    );
  });
});

describe("watchdog settings", () => {
  const load = (flags: Record<string, unknown>) => loadConfig({ cwd: "/", env: {}, flags });

  it("refuses budgets that contradict, naming both paths", () => {
    assert.throws(
      () => load({ "watchdog.toolIdle": "10m", "watchdog.toolLimit": "5m" }),
      (error: unknown) =>
        error instanceof DroverError &&
        /watchdog\.toolIdle \(10m00s\) must be below watchdog\.toolLimit \(5m00s\)/.test(error.message),
    );
    assert.throws(
      () => load({ "watchdog.stallAfter": "20m", taskTimeout: "10m" }),
      /watchdog\.stallAfter .* must be below taskTimeout/,
    );
  });

  it("lets a short taskTimeout overrule the default budgets", () => {
    assert.equal(load({ taskTimeout: "30s" }).config.watchdog.startTimeout, 120_000);
  });
});
