import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskState } from "../core/task-states.ts";

/**
 * The batch's dependency edges. Answers which waiting tasks became ready and which must be
 * blocked when a task ends; the supervisor applies the answers through the store.
 */
export class DependencyGraph {
  readonly #dependsOn = new Map<string, readonly string[]>();
  readonly #dependents = new Map<string, string[]>();

  constructor(specs: readonly TaskSpec[]) {
    for (const spec of specs) {
      this.#dependsOn.set(spec.id, spec.dependsOn);
      for (const dep of spec.dependsOn) {
        const list = this.#dependents.get(dep) ?? [];
        list.push(spec.id);
        this.#dependents.set(dep, list);
      }
    }
  }

  /** The state a new task starts in after `queued`. */
  initialState(taskId: string): "ready" | "waiting" {
    return (this.#dependsOn.get(taskId)?.length ?? 0) > 0 ? "waiting" : "ready";
  }

  /** Waiting dependents of `taskId` whose every dependency has now succeeded. */
  unlockedBy(taskId: string, stateOf: (id: string) => TaskState): string[] {
    return (this.#dependents.get(taskId) ?? []).filter(
      (id) =>
        stateOf(id) === "waiting" &&
        (this.#dependsOn.get(id) ?? []).every((dep) => stateOf(dep) === "succeeded"),
    );
  }

  /** Every task that (transitively) depends on `taskId`, in breadth-first order. */
  dependentsOf(taskId: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([taskId]);
    const queue = [...(this.#dependents.get(taskId) ?? [])];
    while (queue.length > 0) {
      const id = queue.shift() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      queue.push(...(this.#dependents.get(id) ?? []));
    }
    return out;
  }
}
