import type { Strategy } from "../config/supervisor-settings.ts";

export type { Strategy };

/** The branch a task belongs to: its root id (`t12` for `t12.3.1`). */
export function branchOf(taskId: string): string {
  return taskId.split(".")[0] as string;
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
 */
export function orderReady(strategy: Strategy, input: OrderInput): string[] {
  const rank = new Map<string, number>();
  for (const id of input.all) if (!rank.has(branchOf(id))) rank.set(branchOf(id), rank.size);
  const started = new Set([...input.running, ...input.done].map(branchOf));
  const runningIn = new Map<string, number>();
  for (const id of input.running) runningIn.set(branchOf(id), (runningIn.get(branchOf(id)) ?? 0) + 1);
  const position = new Map(input.all.map((id, i) => [id, i]));
  const byPosition = (a: string, b: string) => (position.get(a) ?? 0) - (position.get(b) ?? 0);

  if (strategy === "depth-first") {
    const key = (id: string) =>
      (started.has(branchOf(id)) ? 0 : 1) * 1e9 + (rank.get(branchOf(id)) ?? 0) * 1e5;
    return [...input.ready].sort((a, b) => key(a) - key(b) || byPosition(a, b));
  }
  const queues = new Map<string, string[]>();
  for (const id of [...input.ready].sort(byPosition)) {
    const branch = branchOf(id);
    queues.set(branch, [...(queues.get(branch) ?? []), id]);
  }
  const branches = [...queues.keys()].sort(
    (a, b) => (runningIn.get(a) ?? 0) - (runningIn.get(b) ?? 0) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0),
  );
  const out: string[] = [];
  let round = 0;
  while (out.length < input.ready.length) {
    for (const branch of branches) {
      const next = queues.get(branch)?.[round];
      if (next) out.push(next);
    }
    round++;
  }
  return out;
}
