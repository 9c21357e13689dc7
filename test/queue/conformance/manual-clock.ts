import type { Clock } from "../../../src/core/clock.ts";

/** A clock that moves only when told; timers due by then fire during `advance`. */
export function createManualClock(start = 1_000_000): { clock: Clock; advance(ms: number): void } {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + Math.max(0, ms), fn };
      timers.add(timer);
      return { cancel: () => timers.delete(timer) };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > now || !timers.delete(timer)) continue;
      timer.fn();
    }
  };
  return { clock, advance };
}
