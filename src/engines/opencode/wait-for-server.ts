/**
 * Callers waiting for a server while none is up (the pool starting, or restarting one): each is
 * answered as soon as `pick` finds one after a `notify()`, or with undefined after `timeoutMs`.
 */
export class ServerWaiters<T> {
  readonly #waiters = new Set<() => void>();

  wait(pick: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter = () => {
        const found = pick();
        if (found === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(found);
      };
      this.#waiters.add(waiter);
    });
  }

  /** A server came up: every waiter looks again. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
