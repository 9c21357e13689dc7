import type { InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";

/** Rejects duplicate ids, dependencies on unknown tasks, self-dependencies and cycles. */
export function checkTaskGraph(specs: readonly TaskSpec[], source: string): InputIssue[] {
  const issues: InputIssue[] = [];
  const indexOf = new Map<string, number>();
  specs.forEach((spec, index) => {
    const first = indexOf.get(spec.id);
    if (first !== undefined) {
      issues.push({
        source,
        path: `tasks[${index}].id`,
        message: `duplicate id "${spec.id}" (first at tasks[${first}])`,
      });
    } else {
      indexOf.set(spec.id, index);
    }
  });
  specs.forEach((spec, index) => {
    spec.dependsOn.forEach((dep, depIndex) => {
      const field = `tasks[${index}].dependsOn[${depIndex}]`;
      if (dep === spec.id)
        issues.push({ source, path: field, message: `task "${spec.id}" depends on itself` });
      else if (!indexOf.has(dep)) issues.push({ source, path: field, message: `unknown task "${dep}"` });
    });
  });
  const cycle = findCycle(specs);
  if (cycle) {
    const at = indexOf.get(cycle[0] as string) ?? 0;
    issues.push({ source, path: `tasks[${at}].dependsOn`, message: describeCycle(cycle) });
  }
  return issues;
}

/**
 * Returns one cycle as a list of ids (first id repeated at the end), or undefined. A
 * depth-first search with its own stack, not recursion: a 100,000-task chain or cycle is
 * walked in linear time without exhausting the call stack.
 */
export function findCycle(specs: readonly TaskSpec[]): string[] | undefined {
  const edges = new Map(specs.map((spec) => [spec.id, spec.dependsOn.filter((dep) => dep !== spec.id)]));
  const finished = new Set<string>();
  /** The walk from the current root: ids, where each stands in it, and the next edge to follow. */
  const path: string[] = [];
  const nextEdge: number[] = [];
  const onPath = new Map<string, number>();
  const enter = (id: string) => {
    onPath.set(id, path.length);
    path.push(id);
    nextEdge.push(0);
  };
  for (const root of specs) {
    if (finished.has(root.id)) continue;
    enter(root.id);
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top] as string;
      const deps = edges.get(id) ?? [];
      const edge = nextEdge[top] as number;
      if (edge === deps.length) {
        path.pop();
        nextEdge.pop();
        onPath.delete(id);
        finished.add(id);
        continue;
      }
      nextEdge[top] = edge + 1;
      const dep = deps[edge] as string;
      if (!edges.has(dep) || finished.has(dep)) continue;
      const at = onPath.get(dep);
      if (at !== undefined) return [...path.slice(at), dep];
      enter(dep);
    }
  }
  return undefined;
}

/** `dependency cycle: a → b → a`; a long cycle shows its length, its start and its end. */
export function describeCycle(cycle: readonly string[]): string {
  const tasks = cycle.length - 1;
  if (cycle.length <= 12) return `dependency cycle: ${cycle.join(" → ")}`;
  const shown = [...cycle.slice(0, 8), "…", ...cycle.slice(-3)];
  return `dependency cycle of ${tasks} tasks: ${shown.join(" → ")}`;
}
