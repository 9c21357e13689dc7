import type { Strategy } from "../config/supervisor-settings.ts";

export type { Strategy };

/** The branch a task belongs to: its root id (`t12` for `t12.3.1`). */
export function branchOf(taskId: string): string {
  const cut = taskId.indexOf(".");
  return cut > 0 ? taskId.slice(0, cut) : taskId;
}

/** The parent of a dotted id (`t12.3` → `t12`), or undefined for a root id. */
export function parentOf(taskId: string): string | undefined {
  const cut = taskId.lastIndexOf(".");
  return cut > 0 ? taskId.slice(0, cut) : undefined;
}

export interface OrderInput {
  /** Ready task ids, in submission order. */
  ready: readonly string[];
  /** Every task id of the batch, in submission order (ranks the branches). */
  all: readonly string[];
  /** Ids running now. */
  running: readonly string[];
  /** Ids that already ended. */
  done: readonly string[];
}

/**
 * Orders ready tasks for launch. Depth-first (default) finishes one branch before the next:
 * branches already under way first, then by first appearance. Breadth-first takes one task
 * per branch per round, branches with the fewest running tasks first.
 * Costs O(all) to rank the batch; callers that order the same batch often keep a `LaunchOrder`.
 */
export function orderReady(strategy: Strategy, input: OrderInput): string[] {
  return new LaunchOrder(input.all).order(strategy, input);
}

/**
 * One batch's branch ranks and submission positions, computed once: ordering with it costs
 * O(running + done + ready·log ready), not O(all), so a long-lived batch can be ordered every tick.
 */
export class LaunchOrder {
  readonly #position = new Map<string, number>();
  readonly #branch = new Map<string, string>();
  readonly #rank = new Map<string, number>();

  /** `all`: every task id of the batch, in submission order. */
  constructor(all: readonly string[]) {
    for (const [index, id] of all.entries()) {
      if (!this.#position.has(id)) this.#position.set(id, index);
      const branch = branchOf(id);
      this.#branch.set(id, branch);
      if (!this.#rank.has(branch)) this.#rank.set(branch, this.#rank.size);
    }
  }

  /** Where `id` was submitted (0 for an id the batch does not have). */
  positionOf(id: string): number {
    return this.#position.get(id) ?? 0;
  }

  branchOf(id: string): string {
    return this.#branch.get(id) ?? branchOf(id);
  }

  /** Branches rank by the first appearance of any of their tasks. */
  rankOf(branch: string): number {
    return this.#rank.get(branch) ?? 0;
  }

  /** The same answer as `orderReady` for this batch. */
  order(strategy: Strategy, input: Omit<OrderInput, "all">): string[] {
    const byPosition = (a: string, b: string) => this.positionOf(a) - this.positionOf(b);
    if (strategy === "depth-first") {
      const started = new Set<string>();
      for (const id of input.running) started.add(this.branchOf(id));
      for (const id of input.done) started.add(this.branchOf(id));
      // Compared field by field: a single numeric key overflowed past 10,000 branches.
      const notStarted = (id: string) => (started.has(this.branchOf(id)) ? 0 : 1);
      return [...input.ready].sort(
        (a, b) =>
          notStarted(a) - notStarted(b) ||
          this.rankOf(this.branchOf(a)) - this.rankOf(this.branchOf(b)) ||
          byPosition(a, b),
      );
    }
    const runningIn = new Map<string, number>();
    for (const id of input.running) {
      const branch = this.branchOf(id);
      runningIn.set(branch, (runningIn.get(branch) ?? 0) + 1);
    }
    const queues = new Map<string, string[]>();
    for (const id of [...input.ready].sort(byPosition)) {
      const branch = this.branchOf(id);
      const queue = queues.get(branch);
      if (queue) queue.push(id);
      else queues.set(branch, [id]);
    }
    const branches = [...queues.keys()].sort(
      (a, b) => (runningIn.get(a) ?? 0) - (runningIn.get(b) ?? 0) || this.rankOf(a) - this.rankOf(b),
    );
    // Round-robin; a branch leaves the rotation once empty, so one long branch costs no more than its length.
    const out: string[] = [];
    let rotation = branches.map((branch) => queues.get(branch) as string[]);
    for (let round = 0; rotation.length > 0; round++) {
      for (const queue of rotation) out.push(queue[round] as string);
      rotation = rotation.filter((queue) => queue.length > round + 1);
    }
    return out;
  }
}
