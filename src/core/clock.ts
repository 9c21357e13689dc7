/** Time source passed into everything that waits or stamps, so tests can control it. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/**
 * The longest delay Node's setTimeout honours (2^31−1 ms, about 24.8 days). Longer delays
 * fire after 1 ms with a TimeoutOverflowWarning, so the clock chains timers instead.
 */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** The real clock; `maxTimerDelayMs` is injectable so tests can watch a chain of short timers. */
export function createSystemClock(options: { maxTimerDelayMs?: number } = {}): Clock {
  const cap = options.maxTimerDelayMs ?? maxTimerDelayMs;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      let remaining = Math.max(0, ms);
      let handle: ReturnType<typeof setTimeout>;
      // Counts down in capped hops on Node's monotonic timers, not by wall-clock arithmetic.
      const arm = () => {
        if (remaining <= cap) {
          handle = setTimeout(fn, remaining);
          return;
        }
        remaining -= cap;
        handle = setTimeout(arm, cap);
      };
      arm();
      return { cancel: () => clearTimeout(handle) };
    },
  };
}

export const systemClock: Clock = createSystemClock();
