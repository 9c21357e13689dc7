import type { Clock } from "./clock.ts";

/**
 * Runs `tick` every `intervalMs` on the injected clock (so tests drive it without sleeping). A
 * tick that throws is handed to `onError` and the loop goes on: background loops never throw.
 */
export function every(
  clock: Clock,
  intervalMs: number,
  tick: () => void,
  onError: (error: unknown) => void,
): { cancel(): void } {
  let timer: { cancel(): void } | undefined;
  let cancelled = false;
  const schedule = () => {
    timer = clock.setTimeout(() => {
      if (cancelled) return;
      try {
        tick();
      } catch (error) {
        try {
          onError(error);
        } catch {
          // The error handler's own trouble must not end the loop.
        }
      }
      if (!cancelled) schedule();
    }, intervalMs);
  };
  schedule();
  return {
    cancel() {
      cancelled = true;
      timer?.cancel();
    },
  };
}
