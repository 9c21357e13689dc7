import type { TaskSpec } from "../core/task-spec.ts";
import { parentOf } from "../queue/strategy.ts";

/**
 * The seeds' TASK LINEAGE block for a dotted task whose siblings may run in parallel with it
 * (siblings that neither depend on it nor it on them), or undefined when none applies.
 */
export function renderLineage(spec: TaskSpec, batch: readonly TaskSpec[]): string | undefined {
  const parentId = parentOf(spec.id);
  if (!parentId) return undefined;
  const siblings = batch.filter((other) => parentOf(other.id) === parentId);
  const byId = new Map(batch.map((task) => [task.id, task]));
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (id === to) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.dependsOn ?? []));
    }
    return false;
  };
  const parallel = siblings.some(
    (other) => other.id !== spec.id && !reaches(other.id, spec.id) && !reaches(spec.id, other.id),
  );
  if (!parallel) return undefined;
  const parent = byId.get(parentId);
  const lines = ["TASK LINEAGE:", `0. [parent] ${parent ? describe(parent) : parentId} (${parentId})`];
  siblings.forEach((sibling, index) => {
    lines.push(
      `${index + 1}. ${describe(sibling)} (${sibling.id})${sibling.id === spec.id ? " <-- THIS TASK" : ""}`,
    );
  });
  lines.push(
    'LINEAGE RULES: Focus ONLY on "<-- THIS TASK". Stub sibling deps. Exit BLOCKED if hard dependency.',
  );
  return lines.join("\n");
}

function describe(task: TaskSpec): string {
  if (task.title && task.title !== task.id) return task.title;
  const firstLine = task.prompt.split("\n")[0]?.trim() ?? task.id;
  return firstLine.length > 80 ? `${firstLine.slice(0, 77)}...` : firstLine;
}
