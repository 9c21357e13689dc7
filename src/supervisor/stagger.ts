import type { StaggerSettings } from "../config/supervisor-settings.ts";

export interface LaunchGap {
  /** Earliest time the next launch may happen (epoch ms). */
  notBefore: number;
  gapMs: number;
  reason: string;
}

/**
 * Spaces launches: the first is immediate; later ones wait a fixed gap, plus (adaptive) extra
 * for failures and rate limits seen in the recent window, capped. The extra spaces out bursts:
 * it applies only while attempts are running (an idle pool has nothing to protect), and a
 * success clears the history (the trouble is over).
 */
export class LaunchStagger {
  readonly #settings: StaggerSettings;
  #lastLaunch: number | undefined;
  readonly #failures: number[] = [];
  readonly #rateLimits: number[] = [];
  readonly #random: () => number;

  constructor(settings: StaggerSettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  recordFailure(at: number): void {
    this.#failures.push(at);
  }

  recordRateLimit(at: number): void {
    this.#rateLimits.push(at);
  }

  /** An attempt succeeded: what failed before no longer predicts the next launch. */
  recordSuccess(): void {
    this.#failures.length = 0;
    this.#rateLimits.length = 0;
  }

  recordLaunch(at: number): void {
    this.#lastLaunch = at;
  }

  /** When the next launch may happen, with `running` attempts running now. */
  next(now: number, running = 1): LaunchGap {
    if (this.#lastLaunch === undefined) return { notBefore: now, gapMs: 0, reason: "first launch" };
    const s = this.#settings;
    const since = now - s.windowMs;
    prune(this.#failures, since);
    prune(this.#rateLimits, since);
    let gap = s.gapMs;
    const reasons = [`gap ${s.gapMs}ms`];
    const adaptive = s.adaptive && running > 0;
    if (s.adaptive && !adaptive && this.#failures.length + this.#rateLimits.length > 0) {
      reasons.push("nothing running: no extra gap");
    }
    if (adaptive && this.#failures.length > 0) {
      gap += this.#failures.length * s.perFailureMs;
      reasons.push(`${this.#failures.length} recent failure(s)`);
    }
    if (adaptive && this.#rateLimits.length > 0) {
      gap += this.#rateLimits.length * s.perRateLimitMs;
      reasons.push(`${this.#rateLimits.length} recent rate limit(s)`);
    }
    gap = Math.min(gap, Math.max(s.maxGapMs, s.gapMs));
    if (s.jitterMs > 0) gap += Math.round(this.#random() * s.jitterMs);
    return { notBefore: this.#lastLaunch + gap, gapMs: gap, reason: reasons.join(", ") };
  }
}

function prune(times: number[], since: number): void {
  while (times.length > 0 && (times[0] as number) < since) times.shift();
}
