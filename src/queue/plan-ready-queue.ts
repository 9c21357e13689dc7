import { MinHeap } from "./min-heap.ts";
import type { LaunchOrder, Strategy } from "./strategy.ts";

/**
 * The ready tasks of a dry run, handed out a round at a time in the order `orderReady` gives
 * when nothing is running. Kept in heaps, so each round costs O(slots · log n) however many
 * tasks are ready: planning is O(n log n), not a sort of the whole ready set per round.
 */
export interface PlanReadyQueue {
  readonly size: number;
  add(id: string): void;
  /** Removes and returns the next round: at most `slots` ids, in launch order. */
  take(slots: number): string[];
  /** Records a finished round (its branches are now under way). */
  finished(ids: readonly string[]): void;
}

export function planReadyQueue(strategy: Strategy, order: LaunchOrder): PlanReadyQueue {
  return strategy === "depth-first" ? new DepthFirstQueue(order) : new BreadthFirstQueue(order);
}

interface DepthFirstEntry {
  id: string;
  /** 0 once the task's branch is under way. */
  notStarted: 0 | 1;
}

/** Branches under way first, then by rank; within a branch by submission position. */
class DepthFirstQueue implements PlanReadyQueue {
  readonly #order: LaunchOrder;
  readonly #heap: MinHeap<DepthFirstEntry>;
  readonly #started = new Set<string>();
  readonly #readyIn = new Map<string, Set<string>>();
  size = 0;

  constructor(order: LaunchOrder) {
    this.#order = order;
    const rankOf = (id: string) => order.rankOf(order.branchOf(id));
    this.#heap = new MinHeap<DepthFirstEntry>(
      (a, b) =>
        (a.notStarted - b.notStarted ||
          rankOf(a.id) - rankOf(b.id) ||
          order.positionOf(a.id) - order.positionOf(b.id)) < 0,
    );
  }

  add(id: string): void {
    const branch = this.#order.branchOf(id);
    const ready = this.#readyIn.get(branch) ?? new Set<string>();
    this.#readyIn.set(branch, ready);
    ready.add(id);
    this.size++;
    this.#heap.push({ id, notStarted: this.#started.has(branch) ? 0 : 1 });
  }

  take(slots: number): string[] {
    const out: string[] = [];
    while (out.length < slots && this.#heap.size > 0) {
      const entry = this.#heap.pop() as DepthFirstEntry;
      const branch = this.#order.branchOf(entry.id);
      const ready = this.#readyIn.get(branch);
      // A re-keyed task's newer entry sorts first, so its stale entry finds it already taken.
      if (!ready?.delete(entry.id)) continue;
      this.size--;
      out.push(entry.id);
    }
    return out;
  }

  finished(ids: readonly string[]): void {
    for (const id of ids) {
      const branch = this.#order.branchOf(id);
      if (this.#started.has(branch)) continue;
      this.#started.add(branch);
      // Re-key the branch's waiting entries; the old ones go stale.
      for (const ready of this.#readyIn.get(branch) ?? []) this.#heap.push({ id: ready, notStarted: 0 });
    }
  }
}

/** One task per branch per turn, branches by rank; within a branch by submission position. */
class BreadthFirstQueue implements PlanReadyQueue {
  readonly #order: LaunchOrder;
  readonly #branches: MinHeap<string>;
  readonly #readyIn = new Map<string, MinHeap<string>>();
  size = 0;

  constructor(order: LaunchOrder) {
    this.#order = order;
    this.#branches = new MinHeap<string>((a, b) => order.rankOf(a) < order.rankOf(b));
  }

  add(id: string): void {
    const branch = this.#order.branchOf(id);
    let ready = this.#readyIn.get(branch);
    if (!ready) {
      ready = new MinHeap<string>((a, b) => this.#order.positionOf(a) < this.#order.positionOf(b));
      this.#readyIn.set(branch, ready);
    }
    // A branch is in the rotation exactly while it has ready tasks.
    if (ready.size === 0) this.#branches.push(branch);
    ready.push(id);
    this.size++;
  }

  take(slots: number): string[] {
    const out: string[] = [];
    while (out.length < slots && this.#branches.size > 0) {
      const turn: string[] = [];
      while (out.length < slots && this.#branches.size > 0) {
        const branch = this.#branches.pop() as string;
        out.push(this.#readyIn.get(branch)?.pop() as string);
        turn.push(branch);
      }
      for (const branch of turn) if ((this.#readyIn.get(branch)?.size ?? 0) > 0) this.#branches.push(branch);
    }
    this.size -= out.length;
    return out;
  }

  finished(): void {}
}
