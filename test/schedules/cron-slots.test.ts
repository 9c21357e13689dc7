import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTiming, dueSlots, nextSlot } from "../../src/schedules/cron-slots.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("schedule slots (croner)", () => {
  it("follows the time zone's wall clock, DST included", () => {
    const nine = { cron: "0 9 * * *", timezone: "Europe/Berlin" };
    assert.equal(iso(nextSlot(nine, at("2025-01-15T12:00:00Z"))), "2025-01-16T08:00:00.000Z", "CET");
    assert.equal(iso(nextSlot(nine, at("2025-07-15T12:00:00Z"))), "2025-07-16T07:00:00.000Z", "CEST");
    const newYork = { cron: "30 17 * * 1-5", timezone: "America/New_York" };
    // Friday 2025-03-07 after 17:30 → Monday 2025-03-10, after the spring-forward weekend (EDT).
    assert.equal(iso(nextSlot(newYork, at("2025-03-07T23:00:00Z"))), "2025-03-10T21:30:00.000Z");
    // 02:30 does not exist on 2025-03-30 in Berlin: the slot is the first valid time after the gap.
    const gap = { cron: "30 2 * * *", timezone: "Europe/Berlin" };
    assert.equal(iso(nextSlot(gap, at("2025-03-29T12:00:00Z"))), "2025-03-30T01:00:00.000Z");
  });

  it("takes a seconds field, and the next slot is strictly after the given time", () => {
    const everyTwo = { cron: "*/2 * * * * *", timezone: "UTC" };
    assert.equal(nextSlot(everyTwo, 1_000_000), 1_002_000);
    assert.equal(nextSlot(everyTwo, 999_999), 1_000_000);
  });

  it("lists the due slots oldest first, at most `limit`, the latest ones", () => {
    const everySecond = { cron: "* * * * * *", timezone: "UTC" };
    assert.deepEqual(dueSlots(everySecond, 1_000_000, 1_003_500, 10), {
      slots: [1_001_000, 1_002_000, 1_003_000],
      more: false,
    });
    assert.deepEqual(dueSlots(everySecond, 1_000_000, 1_003_000, 10).slots.at(-1), 1_003_000, "now included");
    assert.deepEqual(dueSlots(everySecond, 1_000_000, 1_000_999, 10), { slots: [], more: false });
    // A day of downtime costs `limit` steps, not 86,400.
    const day = dueSlots(everySecond, 0, 86_400_000, 5);
    assert.deepEqual(day, {
      slots: [86_396_000, 86_397_000, 86_398_000, 86_399_000, 86_400_000],
      more: true,
    });
  });

  it("names a bad cron expression or time zone", () => {
    const now = at("2025-01-01T00:00:00Z");
    const [badCron] = checkTiming({ cron: "61 * * * *", timezone: "UTC" }, "schedule x", now);
    assert.equal(badCron?.path, "cron");
    assert.match(badCron?.message ?? "", /"61 \* \* \* \*" is not a valid cron expression/);
    assert.match(checkTiming({ cron: "* * *", timezone: "UTC" }, "s", now)[0]?.message ?? "", /"\* \* \*"/);
    assert.equal(
      checkTiming({ cron: "* * * * * * *", timezone: "UTC" }, "s", now).length,
      1,
      "7 fields refused",
    );
    const [badZone] = checkTiming({ cron: "0 9 * * *", timezone: "Mars/Olympus" }, "s", now);
    assert.equal(badZone?.path, "timezone");
    assert.match(badZone?.message ?? "", /unknown time zone "Mars\/Olympus"/);
    assert.match(
      checkTiming({ cron: "0 0 31 2 *", timezone: "UTC" }, "s", now)[0]?.message ?? "",
      /never fires/,
    );
    assert.deepEqual(checkTiming({ cron: "@daily", timezone: "Asia/Tokyo" }, "s", now), []);
  });
});
