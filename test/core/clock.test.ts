import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { setTimeout as nextTimerTurn } from "node:timers/promises";
import { createSystemClock, systemClock } from "../../src/core/clock.ts";

const hours = (n: number) => n * 3_600_000;

describe("the system clock", () => {
  it("does not fire a 600h timer at once (Node caps a single timer at ~24.8 days)", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    let fired = false;
    const timer = systemClock.setTimeout(() => {
      fired = true;
    }, hours(600));
    // An overflowing timer is re-armed at 1 ms; a 1 ms timer armed after it runs after it.
    await nextTimerTurn(1);
    await nextTimerTurn(1);
    timer.cancel();
    process.off("warning", onWarning);
    assert.equal(fired, false);
    assert.deepEqual(
      warnings.filter((name) => name === "TimeoutOverflowWarning"),
      [],
    );
  });

  it("chains capped timers and fires once, at the full delay", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const clock = createSystemClock({ maxTimerDelayMs: 1000 });
      let fired = 0;
      clock.setTimeout(() => fired++, 2500);
      // One hop per tick: Node 20's mock runs a tick's timers at the tick's end time.
      mock.timers.tick(1000);
      mock.timers.tick(1000);
      mock.timers.tick(499);
      assert.equal(fired, 0, "not before its delay");
      mock.timers.tick(1);
      assert.equal(fired, 1, "at its delay");
      mock.timers.tick(10_000);
      assert.equal(fired, 1, "once");
    } finally {
      mock.timers.reset();
    }
  });

  it("cancels a chained timer between hops", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const clock = createSystemClock({ maxTimerDelayMs: 1000 });
      let fired = 0;
      const timer = clock.setTimeout(() => fired++, 2500);
      mock.timers.tick(1500);
      timer.cancel();
      mock.timers.tick(10_000);
      assert.equal(fired, 0);
    } finally {
      mock.timers.reset();
    }
  });
});
