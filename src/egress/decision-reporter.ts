import type { DroverEventBody } from "../core/events.ts";
import type { HostClass } from "./classify-host.ts";

type NetworkDecision = Extract<DroverEventBody, { type: "network.decision" }>;

/**
 * Turns proxy decisions into `network.decision` events without flooding: the first decision for a
 * (label, host, decision) is told at once, repeats within `quietMs` are counted and told with the
 * next one after it (a busy `npm install` makes one event a minute, not thousands).
 */
export class DecisionReporter {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  readonly #report: (event: NetworkDecision) => void;
  readonly #now: () => number;
  readonly #quietMs: number;
  readonly #attribute: (label: string) => { batchId: string; taskId: string } | undefined;

  constructor(options: {
    report(event: NetworkDecision): void;
    now?: () => number;
    quietMs?: number;
    attribute?: (label: string) => { batchId: string; taskId: string } | undefined;
  }) {
    this.#report = options.report;
    this.#now = options.now ?? Date.now;
    this.#quietMs = options.quietMs ?? 60_000;
    this.#attribute = options.attribute ?? (() => undefined);
  }

  decided(label: string, verdict: HostClass, port: number): void {
    const key = `${label}\u0000${verdict.host}\u0000${verdict.decision}`;
    const now = this.#now();
    const last = this.#last.get(key);
    if (last && now - last.at < this.#quietMs) {
      last.suppressed++;
      return;
    }
    this.#last.set(key, { at: now, suppressed: 0 });
    const task = this.#attribute(label);
    this.#report({
      type: "network.decision",
      label,
      ...(task ?? {}),
      host: verdict.host,
      port,
      tier: verdict.tier,
      decision: verdict.decision,
      rule: verdict.rule,
      count: 1 + (last?.suppressed ?? 0),
    });
  }
}
