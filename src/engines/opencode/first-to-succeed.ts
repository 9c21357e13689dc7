/** Resolves when the first promise fulfils, or, when all reject, with the first rejection. */
export function firstToSucceed(
  promises: readonly Promise<unknown>[],
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  return new Promise((resolve) => {
    let rejected = 0;
    let firstError: unknown;
    for (const promise of promises) {
      promise.then(
        () => resolve({ ok: true }),
        (error: unknown) => {
          if (rejected === 0) firstError = error;
          rejected++;
          if (rejected === promises.length) resolve({ ok: false, error: firstError });
        },
      );
    }
  });
}
