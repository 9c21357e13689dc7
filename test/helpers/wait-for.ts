import type { DroverEvent, EventBus } from "../../src/core/events.ts";

/** Resolves with the first event on the bus that matches; rejects after `timeoutMs`. */
export function waitForEvent(
  bus: EventBus,
  predicate: (event: DroverEvent) => boolean,
  timeoutMs = 60_000,
): Promise<DroverEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = bus.subscribe((event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(event);
    });
  });
}

/** Resolves once `predicate()` is true, checking after each turn of the event loop; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
