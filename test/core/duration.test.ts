import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  durationSchema,
  graceSchema,
  maxDurationMs,
  parseDuration,
  readDuration,
} from "../../src/core/duration.ts";

describe("durations", () => {
  it("reads units and bare seconds", () => {
    assert.equal(parseDuration("1500ms"), 1500);
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration(90), 90_000);
    assert.equal(parseDuration("720h"), maxDurationMs, "30 days is allowed");
  });

  it("refuses durations over 30 days, saying so", () => {
    assert.equal(parseDuration("900h"), undefined);
    assert.equal(parseDuration(2_592_001), undefined, "bare seconds too");
    assert.deepEqual(readDuration("900h"), {
      problem: '"900h" is longer than the maximum duration of 30 days ("720h")',
    });
    const parsed = durationSchema.safeParse("900h");
    assert.equal(parsed.success, false);
    assert.match(parsed.error?.issues[0]?.message ?? "", /maximum duration of 30 days/);
  });

  it("still says when a value is not a duration at all", () => {
    assert.match(durationSchema.safeParse("soon").error?.issues[0]?.message ?? "", /is not a duration/);
  });

  it("a grace may be zero (none), and is otherwise an ordinary duration", () => {
    for (const zero of [0, "0", "0s", "0ms"]) assert.equal(graceSchema.parse(zero), 0);
    assert.equal(graceSchema.parse("30s"), 30_000);
    assert.equal(durationSchema.safeParse("0").success, false, "time limits still refuse zero");
    assert.match(graceSchema.safeParse("soon").error?.issues[0]?.message ?? "", /use e\.g\. 0, 90/);
  });
});
