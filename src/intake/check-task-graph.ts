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
    issues.push({
      source,
      path: `tasks[${at}].dependsOn`,
      message: `dependency cycle: ${cycle.join(" → ")}`,
    });
  }
  return issues;
}

/** Returns one cycle as a list of ids (first id repeated at the end), or undefined. */
export function findCycle(specs: readonly TaskSpec[]): string[] | undefined {
  const edges = new Map(specs.map((spec) => [spec.id, spec.dependsOn.filter((dep) => dep !== spec.id)]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of edges.get(id) ?? []) {
      if (!edges.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const spec of specs) {
    const found = visit(spec.id);
    if (found) return found;
  }
  return undefined;
}
