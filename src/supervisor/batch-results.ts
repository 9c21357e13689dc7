import path from "node:path";
import { z } from "zod";
import { Liveness, TokenCounts, WatchdogEvidence, WatchdogRemedy, WatchdogState } from "../core/liveness.ts";
import { Outcome } from "../core/outcome.ts";
import { TaskState } from "../core/task-states.ts";
import type { Store } from "../store/store.ts";
import type { TaskActivity } from "../store/task-activity.ts";
import { WorkspaceRecord } from "../store/workspaces.ts";

/** A running attempt's liveness as the views show it. */
export const LivenessView = z.object({
  state: Liveness,
  /** Epoch ms this state began. */
  since: z.number().optional(),
  tool: z.string().optional(),
  /** Rate limited until (epoch ms). */
  until: z.number().optional(),
  detail: z.string().optional(),
  evidence: WatchdogEvidence.optional(),
  /** When this was reported. */
  at: z.number(),
});
export type LivenessView = z.infer<typeof LivenessView>;

export const WatchdogActionView = z.object({
  state: WatchdogState,
  remedy: WatchdogRemedy,
  message: z.string(),
  at: z.number(),
});
export type WatchdogActionView = z.infer<typeof WatchdogActionView>;

/** One task in `results.json` (and in `GET /v1/batches/:id`, `drover ls --json`). */
export const TaskResult = z.object({
  id: z.string(),
  title: z.string(),
  /** The task's state: one of the final states once the batch has finished. */
  status: TaskState,
  /** Why it did not succeed (the failure, the blocker, the dependency). */
  reason: z.string().optional(),
  /** The agent's report. */
  outcome: Outcome.optional(),
  sessionId: z.string().optional(),
  /** Every attempt, continuations included. */
  attempts: z.number().int().nonnegative(),
  tokens: TokenCounts,
  cost: z.number(),
  durationMs: z.number(),
  filesChanged: z.array(z.string()),
  /** A running task: what it is doing, since when, and why (the evidence). */
  liveness: LivenessView.optional(),
  /** What the watchdog did to this task, oldest first. */
  watchdog: z.array(WatchdogActionView).optional(),
  /** A task with `repo`: its worktree, branch, commits and diff stat against its base, and delivery. */
  workspace: WorkspaceRecord.omit({
    batchId: true,
    taskId: true,
    createdAt: true,
    updatedAt: true,
  }).optional(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** The `results.json` document. */
export const BatchResults = z.object({
  batch: z.object({
    id: z.string(),
    source: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    durationMs: z.number(),
    counts: z.record(z.string(), z.number()),
    ok: z.boolean(),
  }),
  tasks: z.array(TaskResult),
});
export type BatchResults = z.infer<typeof BatchResults>;

/** What `taskResult` reads of a task (a stored task, or one read from the daemon). */
export interface TaskResultInput {
  id: string;
  state: TaskState;
  stateReason?: string;
  outcome?: Outcome;
  sessionId?: string;
  spec: { title: string; dir: string };
}

/** What `taskResult` reads of each attempt. */
export interface AttemptTotalsInput {
  tokens?: TokenCounts;
  cost: number;
  filesChanged: string[];
  startedAt: number;
  finishedAt?: number;
}

/** The `results.json` document for a finished batch, built from the store. */
export function buildBatchResults(store: Store, batchId: string): BatchResults {
  const batch = store.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  const attempts = store.listAttempts(batchId);
  const activity = store.taskActivity(batchId);
  const workspaces = new Map(store.workspaces.forBatch(batchId).map((record) => [record.taskId, record]));
  const tasks = store.listTasks(batchId).map((task) => {
    const workspace = workspaces.get(task.id);
    const inWorktree = workspace
      ? { ...task, spec: { ...task.spec, dir: path.join(workspace.path, task.spec.workspace?.subdir ?? "") } }
      : task;
    const result = withActivity(
      taskResult(
        inWorktree,
        attempts.filter((attempt) => attempt.taskId === task.id),
      ),
      activity.get(task.id),
    );
    return workspace ? { ...result, workspace: workspaceView(workspace) } : result;
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

/** One task's line of the results: its state and the totals of its attempts (oldest first). */
export function taskResult(task: TaskResultInput, own: readonly AttemptTotalsInput[]): TaskResult {
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
    status: task.state,
    ...(task.stateReason ? { reason: task.stateReason } : {}),
    ...(task.outcome ? { outcome: task.outcome } : {}),
    ...(task.sessionId ? { sessionId: task.sessionId } : {}),
    attempts: own.length,
    tokens,
    cost,
    durationMs: first && lastFinished ? lastFinished - first.startedAt : 0,
    filesChanged: [...files].sort(),
  };
}

/** Adds a running task's liveness and the watchdog's actions to its line of the results. */
export function withActivity(result: TaskResult, activity: TaskActivity | undefined): TaskResult {
  if (!activity) return result;
  const progress = activity.progress;
  const liveness =
    result.status === "running" && progress
      ? {
          state: progress.liveness,
          ...(progress.since !== undefined ? { since: progress.since } : {}),
          ...(progress.tool ? { tool: progress.tool } : {}),
          ...(progress.until !== undefined ? { until: progress.until } : {}),
          ...(progress.detail ? { detail: progress.detail } : {}),
          ...(progress.evidence ? { evidence: progress.evidence } : {}),
          at: progress.ts,
        }
      : undefined;
  const watchdog = activity.watchdog.map((a) => ({
    state: a.state,
    remedy: a.remedy,
    message: a.message,
    at: a.ts,
  }));
  // Held back by an overlapping task, and not launched since (a launch reports progress after it).
  const waiting =
    result.status === "ready" && activity.waiting && activity.waiting.seq > (progress?.seq ?? 0)
      ? activity.waiting.detail
      : undefined;
  return {
    ...result,
    ...(waiting && !result.reason ? { reason: waiting } : {}),
    ...(liveness ? { liveness } : {}),
    ...(watchdog.length > 0 ? { watchdog } : {}),
  };
}

/** A task's worktree as results show it. */
export function workspaceView(record: WorkspaceRecord): NonNullable<TaskResult["workspace"]> {
  const { batchId, taskId, createdAt, updatedAt, ...view } = record;
  return view;
}

function relativeTo(dir: string, file: string): string {
  const rel = path.relative(dir, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}
