/** A change to a provider's lowered concurrency, for the `supervisor.limit` event. */
export interface ProviderLimitChange {
  key: string;
  /** The new limit, or `null` when the provider is back to no lowered limit. */
  limit: number | null;
  until?: number;
  reason: string;
}

interface Lowered {
  limit: number;
  /** The limit lapses at this time unless another rate limit comes first. */
  until: number;
  /** When it was last cut: rate limits of attempts launched before that belong to the same wave. */
  cutAt: number;
}

/**
 * Adaptive concurrency per provider, AIMD as TCP does it: a rate limit halves the number of
 * attempts the provider may run at once — once per wave, so twenty 429s from one burst cut once,
 * not twenty times — and every success adds one back, until the limit reaches the supervisor's own
 * cap and is dropped. A lowered limit also lapses `cooldownMs` after the provider's reset time.
 */
export class ProviderLimits {
  readonly #lowered = new Map<string, Lowered>();
  readonly #cooldownMs: number;
  readonly #ceiling: number;

  constructor(settings: { cooldownMs: number; ceiling: number }) {
    this.#cooldownMs = settings.cooldownMs;
    this.#ceiling = settings.ceiling;
  }

  /**
   * An attempt launched at `startedAt` was rate limited while `running` attempts of the provider
   * ran (itself included). Returns the change, or undefined when this wave was cut already.
   */
  onRateLimit(
    key: string,
    input: { running: number; startedAt: number; now: number; resetAt?: number; reason: string },
  ): ProviderLimitChange | undefined {
    const until = Math.max(input.resetAt ?? input.now, input.now) + this.#cooldownMs;
    const current = this.#lowered.get(key);
    if (current && input.startedAt < current.cutAt) {
      current.until = Math.max(current.until, until);
      return undefined;
    }
    const base = Math.max(1, current ? Math.min(current.limit, input.running) : input.running);
    const limit = Math.max(1, Math.floor(base / 2));
    this.#lowered.set(key, { limit, until, cutAt: input.now });
    return { key, limit, until, reason: input.reason };
  }

  /** An attempt of the provider got through: allow one more at once (additive increase). */
  onSuccess(key: string): ProviderLimitChange | undefined {
    const current = this.#lowered.get(key);
    if (!current) return undefined;
    if (current.limit + 1 >= this.#ceiling) {
      this.#lowered.delete(key);
      return { key, limit: null, reason: "requests succeed again" };
    }
    current.limit += 1;
    return { key, limit: current.limit, until: current.until, reason: "a request succeeded" };
  }

  /** The limits in force at `now`, dropping (and returning as changes) those that lapsed. */
  active(now: number): { limits: Map<string, number>; lapsed: ProviderLimitChange[] } {
    const limits = new Map<string, number>();
    const lapsed: ProviderLimitChange[] = [];
    for (const [key, value] of this.#lowered) {
      if (value.until > now) limits.set(key, value.limit);
      else {
        this.#lowered.delete(key);
        lapsed.push({ key, limit: null, reason: "rate-limit cooldown over" });
      }
    }
    return { limits, lapsed };
  }

  /** Every lowered limit still in force at `now`, for status. */
  list(now: number): { key: string; limit: number; until: number }[] {
    return [...this.#lowered.entries()]
      .filter(([, value]) => value.until > now)
      .map(([key, value]) => ({ key, limit: value.limit, until: value.until }));
  }

  /** The earliest time a limit lapses (to wake the scheduler), if any. */
  nextLapse(): number | undefined {
    let earliest: number | undefined;
    for (const value of this.#lowered.values()) {
      if (earliest === undefined || value.until < earliest) earliest = value.until;
    }
    return earliest;
  }
}
