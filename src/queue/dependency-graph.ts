import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";

/**
 * The batch's dependency edges. Answers which waiting tasks became ready and which must be
 * blocked when a task ends; the supervisor applies the answers through the store.
 * Every answer is iterative and amortised linear in the edges, so 10,000-task chains cost no stack.
 */
export class DependencyGraph {
  readonly #dependsOn = new Map<string, readonly string[]>();
  readonly #dependents = new Map<string, string[]>();
  /** Per waiting task: how many of its dependencies (in order) are known to have succeeded. */
  readonly #succeededPrefix = new Map<string, number>();

  constructor(specs: readonly TaskSpec[]) {
    for (const spec of specs) {
      // A dependency listed twice is one edge: otherwise its dependent would be unlocked twice.
      const dependsOn = [...new Set(spec.dependsOn)];
      this.#dependsOn.set(spec.id, dependsOn);
      for (const dep of dependsOn) {
        const list = this.#dependents.get(dep);
        if (list) list.push(spec.id);
        else this.#dependents.set(dep, [spec.id]);
      }
    }
  }

  /** The state a new task starts in after `queued`. */
  initialState(taskId: string): "ready" | "waiting" {
    return (this.#dependsOn.get(taskId)?.length ?? 0) > 0 ? "waiting" : "ready";
  }

  /** The distinct ids `taskId` depends on. */
  dependenciesOf(taskId: string): readonly string[] {
    return this.#dependsOn.get(taskId) ?? [];
  }

  /**
   * Waiting dependents of `taskId` whose every dependency has now succeeded. `succeeded` is
   * final, so each dependent remembers how far its dependencies are known done: a task that
   * joins 10,000 others costs 10,000 checks in all, not per finished dependency.
   */
  unlockedBy(taskId: string, stateOf: (id: string) => TaskState): string[] {
    const out: string[] = [];
    for (const id of this.#dependents.get(taskId) ?? []) {
      if (stateOf(id) !== "waiting") continue;
      const deps = this.dependenciesOf(id);
      let known = this.#succeededPrefix.get(id) ?? 0;
      while (known < deps.length && stateOf(deps[known] as string) === "succeeded") known++;
      this.#succeededPrefix.set(id, known);
      if (known === deps.length) out.push(id);
    }
    return out;
  }

  /**
   * Every task that (transitively) depends on `taskId`, in breadth-first order. With `through`,
   * only tasks it accepts are listed and walked past: a caller that skips finished dependents
   * (their own dependents were settled when they finished) then pays for the unsettled ones only.
   */
  dependentsOf(taskId: string, through: (id: string) => boolean = () => true): string[] {
    const out: string[] = [];
    const seen = new Set<string>([taskId]);
    const queue = [taskId];
    for (let next = 0; next < queue.length; next++) {
      for (const id of this.#dependents.get(queue[next] as string) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        if (!through(id)) continue;
        out.push(id);
        queue.push(id);
      }
    }
    return out;
  }
}
