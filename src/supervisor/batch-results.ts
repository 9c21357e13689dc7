import path from "node:path";
import type { Outcome } from "../core/outcome.ts";
import type { FinalState } from "../core/task-states.ts";
import type { Store } from "../store/store.ts";

export interface TaskResult {
  id: string;
  title: string;
  status: FinalState;
  reason?: string;
  outcome?: Outcome;
  sessionId?: string;
  attempts: number;
  tokens: { input: number; output: number; reasoning: number; cacheRead: number; cacheWrite: number };
  cost: number;
  durationMs: number;
  filesChanged: string[];
}

export interface BatchResults {
  batch: {
    id: string;
    source: string;
    createdAt: string;
    finishedAt?: string;
    durationMs: number;
    counts: Record<string, number>;
    ok: boolean;
  };
  tasks: TaskResult[];
}

/** The `results.json` document for a finished batch, built from the store. */
export function buildBatchResults(store: Store, batchId: string): BatchResults {
  const batch = store.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  const attempts = store.listAttempts(batchId);
  const tasks = store.listTasks(batchId).map((task): TaskResult => {
    const own = attempts.filter((attempt) => attempt.taskId === task.id);
    const tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
    let cost = 0;
    const files = new Set<string>();
    for (const attempt of own) {
      if (attempt.tokens) {
        tokens.input += attempt.tokens.input;
        tokens.output += attempt.tokens.output;
        tokens.reasoning += attempt.tokens.reasoning;
        tokens.cacheRead += attempt.tokens.cacheRead;
        tokens.cacheWrite += attempt.tokens.cacheWrite;
      }
      cost += attempt.cost;
      for (const file of attempt.filesChanged) files.add(relativeTo(task.spec.dir, file));
    }
    const first = own[0];
    const lastFinished = own.reduce((max, attempt) => Math.max(max, attempt.finishedAt ?? 0), 0);
    return {
      id: task.id,
      title: task.spec.title,
      status: task.state as FinalState,
      ...(task.stateReason ? { reason: task.stateReason } : {}),
      ...(task.outcome ? { outcome: task.outcome } : {}),
      ...(task.sessionId ? { sessionId: task.sessionId } : {}),
      attempts: own.length,
      tokens,
      cost,
      durationMs: first && lastFinished ? lastFinished - first.startedAt : 0,
      filesChanged: [...files].sort(),
    };
  });
  const counts: Record<string, number> = {};
  for (const task of tasks) counts[task.status] = (counts[task.status] ?? 0) + 1;
  return {
    batch: {
      id: batch.id,
      source: batch.source,
      createdAt: new Date(batch.createdAt).toISOString(),
      ...(batch.finishedAt ? { finishedAt: new Date(batch.finishedAt).toISOString() } : {}),
      durationMs: (batch.finishedAt ?? batch.createdAt) - batch.createdAt,
      counts,
      ok: tasks.every((task) => task.status === "succeeded"),
    },
    tasks,
  };
}

function relativeTo(dir: string, file: string): string {
  const rel = path.relative(dir, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}
