import type { TaskSpec } from "../core/task-spec.ts";
import { DependencyGraph } from "./dependency-graph.ts";
import { orderReady, type Strategy } from "./strategy.ts";

/**
 * Dry run of a batch: which tasks start together, round by round, if every task succeeds and
 * each takes one round. What `drover plan` prints.
 */
export function planRounds(specs: readonly TaskSpec[], strategy: Strategy, slots: number): string[][] {
  const graph = new DependencyGraph(specs);
  const all = specs.map((spec) => spec.id);
  const state = new Map(all.map((id) => [id, graph.initialState(id) as string]));
  const done: string[] = [];
  const rounds: string[][] = [];
  while (done.length < all.length) {
    const ready = all.filter((id) => state.get(id) === "ready");
    if (ready.length === 0) break; // cannot happen for a checked graph
    const round = orderReady(strategy, { ready, all, running: [], done }).slice(0, slots);
    rounds.push(round);
    for (const id of round) {
      state.set(id, "succeeded");
      done.push(id);
    }
    for (const id of round) {
      for (const unlocked of graph.unlockedBy(id, (x) => (state.get(x) as never) ?? "queued"))
        state.set(unlocked, "ready");
    }
  }
  return rounds;
}
