import { DroverError } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";
import { DependencyGraph } from "./dependency-graph.ts";
import { planReadyQueue } from "./plan-ready-queue.ts";
import { LaunchOrder, type Strategy } from "./strategy.ts";

/**
 * Dry run of a batch: which tasks start together, round by round, if every task succeeds and
 * each takes one round. What `drover plan` prints. O(n log n + edges): a 10,000-task chain
 * plans in milliseconds. Throws when some tasks can never start (a cycle or an unknown
 * dependency; `checkTaskGraph` names which).
 */
export function planRounds(specs: readonly TaskSpec[], strategy: Strategy, slots: number): string[][] {
  if (!Number.isInteger(slots) || slots < 1)
    throw new DroverError("bad_input", `slots must be a positive whole number, not ${slots}`);
  const graph = new DependencyGraph(specs);
  const ready = planReadyQueue(strategy, new LaunchOrder(specs.map((spec) => spec.id)));
  const state = new Map<string, TaskState>();
  for (const { id } of specs) {
    if (state.has(id)) continue; // a duplicate id (checkTaskGraph reports it)
    state.set(id, graph.initialState(id));
    if (state.get(id) === "ready") ready.add(id);
  }
  const stateOf = (id: string) => state.get(id) ?? "queued";
  const rounds: string[][] = [];
  let planned = 0;
  while (ready.size > 0) {
    const round = ready.take(slots);
    if (round.length === 0) break;
    rounds.push(round);
    planned += round.length;
    for (const id of round) state.set(id, "succeeded");
    ready.finished(round);
    for (const id of round) {
      for (const unlocked of graph.unlockedBy(id, stateOf)) {
        state.set(unlocked, "ready");
        ready.add(unlocked);
      }
    }
  }
  if (planned < state.size) {
    const stuck = [...state].filter(([, s]) => s === "waiting").map(([id]) => id);
    const named = stuck.length > 5 ? `${stuck.slice(0, 5).join(", ")}, …` : stuck.join(", ");
    throw new DroverError(
      "bad_input",
      `${stuck.length} task(s) can never start — a dependency cycle or an unknown dependency: ${named}`,
    );
  }
  return rounds;
}
