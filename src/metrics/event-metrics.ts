import { Counter, Gauge, type Registry } from "prom-client";
import type { DroverEvent } from "../core/events.ts";
import { Liveness, type TokenCounts } from "../core/liveness.ts";
import { finalStates } from "../core/task-states.ts";

// The series fed from the event bus as things happen: counters that only events can count
// (attempts, tokens, cost, watchdog actions) and the latest state of running attempts and of
// OpenCode servers, which no store row holds. Counters start at zero when the process starts,
// as Prometheus expects; `rate()` and `increase()` handle the reset.

const tokenKinds = [
  "input",
  "output",
  "reasoning",
  "cacheRead",
  "cacheWrite",
] as const satisfies readonly (keyof TokenCounts)[];
const serverStates = ["starting", "ready", "unhealthy", "exited", "stopped"] as const;
const recentlyFinishedCap = 10_000;

/** The model an attempt ran on, when its `attempt.started` was not seen (it started before this process). */
export type ModelLookup = (key: { batchId: string; taskId: string }) => string | undefined;

export interface EventMetrics {
  /** Feeds one event into the counters and the latest-state maps; never throws. */
  observe(event: DroverEvent): void;
}

/** Registers the event-fed series on `registry`. */
export function createEventMetrics(registry: Registry, modelOf: ModelLookup): EventMetrics {
  const registers = [registry];
  const attemptsStarted = new Counter({
    name: "drover_attempts_started_total",
    help: "Attempts started, by kind (fresh, continue, recovery, escalation).",
    labelNames: ["kind"],
    registers,
  });
  const attemptsFinished = new Counter({
    name: "drover_attempts_finished_total",
    help: "Attempts finished, by status (the task state the attempt ended in).",
    labelNames: ["status"],
    registers,
  });
  for (const status of finalStates) attemptsFinished.inc({ status }, 0);
  const tokens = new Counter({
    name: "drover_tokens_total",
    help: "Tokens used by finished attempts, by model and kind (input, output, reasoning, cacheRead, cacheWrite).",
    labelNames: ["model", "kind"],
    registers,
  });
  const cost = new Counter({
    name: "drover_cost_usd_total",
    help: "Cost of finished attempts in US dollars, by model (OpenCode's accounting).",
    labelNames: ["model"],
    registers,
  });
  const watchdogActions = new Counter({
    name: "drover_watchdog_actions_total",
    help: "Watchdog actions, by the state it detected and the remedy it applied.",
    labelNames: ["state", "remedy"],
    registers,
  });

  /** Running attempts → their latest liveness; an attempt leaves when it finishes. */
  const liveness = new Map<string, Liveness>();
  /** Running attempts → the model they run on (from `attempt.started`). */
  const models = new Map<string, string>();
  /** Attempts that finished lately: a progress report arriving after the end must not revive one. */
  const recentlyFinished = new Set<string>();
  /** OpenCode servers (`host/server` for a fleet worker's) → their latest state. */
  const servers = new Map<string, (typeof serverStates)[number]>();

  new Gauge({
    name: "drover_attempts_running",
    help: "Running attempts by liveness (the latest progress of each: thinking, in_tool, stalled, …).",
    labelNames: ["liveness"],
    registers,
    collect() {
      this.reset();
      for (const state of Liveness.options) this.set({ liveness: state }, 0);
      for (const state of liveness.values()) this.inc({ liveness: state });
    },
  });
  new Gauge({
    name: "drover_servers",
    help: "OpenCode servers by their latest state (starting, ready, unhealthy, exited, stopped).",
    labelNames: ["state"],
    registers,
    collect() {
      this.reset();
      for (const state of serverStates) this.set({ state }, 0);
      for (const state of servers.values()) this.inc({ state });
    },
  });

  const finish = (event: Extract<DroverEvent, { type: "attempt.finished" }>) => {
    const model = models.get(event.attemptId) ?? modelOf(event) ?? "unknown";
    models.delete(event.attemptId);
    liveness.delete(event.attemptId);
    attemptsFinished.inc({ status: event.status });
    for (const kind of tokenKinds) {
      const count = event.tokens[kind] ?? 0;
      if (count > 0) tokens.inc({ model, kind }, count);
    }
    cost.inc({ model }, Math.max(0, event.cost));
    recentlyFinished.add(event.attemptId);
    if (recentlyFinished.size > recentlyFinishedCap) {
      const oldest = recentlyFinished.values().next().value;
      if (oldest !== undefined) recentlyFinished.delete(oldest);
    }
  };

  return {
    observe(event) {
      try {
        switch (event.type) {
          case "attempt.started":
            attemptsStarted.inc({ kind: event.kind });
            liveness.set(event.attemptId, "starting");
            if (event.model) models.set(event.attemptId, event.model);
            break;
          case "attempt.progress":
            if (!recentlyFinished.has(event.attemptId)) liveness.set(event.attemptId, event.liveness);
            break;
          case "attempt.finished":
            finish(event);
            break;
          case "supervisor.recovered":
            if (event.action === "closed") liveness.delete(event.attemptId);
            break;
          case "watchdog.action":
            watchdogActions.inc({ state: event.state, remedy: event.remedy });
            break;
          case "engine.server":
            servers.set(event.server, event.state);
            break;
        }
      } catch {
        // A metric that cannot be counted must not disturb the bus.
      }
    },
  };
}
