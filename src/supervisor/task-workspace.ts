import path from "node:path";
import { errorMessage } from "../core/errors.ts";
import { zeroTokens } from "../core/liveness.ts";
import { AgentReport } from "../core/outcome-schema.ts";
import type { TaskWorkspace } from "../core/task-spec.ts";
import type { AttemptResult } from "../engines/contract.ts";
import type { LiveTask, SupervisorCore } from "./supervisor-core.ts";

// A task with `repo:` runs in its own git worktree: made ready before each attempt (created once,
// with its dependencies' branches merged in), the agent's leftovers committed after each attempt,
// and the branch delivered (pull request, merge queue) when the agent reports it done. A merge
// conflict blocks the task; a failed delivery fails it with its commits kept (`retry --deliver`).

/** Where the attempt runs: the task's own folder, or its worktree; or why it cannot run. */
export async function prepareWorkspace(
  core: SupervisorCore,
  task: LiveTask,
): Promise<{ dir: string } | { result: AttemptResult }> {
  const workspace = task.spec.workspace;
  const service = core.deps.workspaces;
  if (!workspace || !service) return { dir: task.spec.dir };
  const { store, clock } = core.deps;
  const opened = await service.open({
    batchId: task.key.batchId,
    taskId: task.key.taskId,
    workspace,
    dependencyBranches: dependencyBranches(core, task, workspace),
    onSetupOutput: (line) => report(core, task, { action: "setup", detail: line }),
  });
  if (opened.status === "conflict") {
    const detail = `merging ${opened.branch} conflicts in ${opened.paths.join(", ")}`;
    report(core, task, { action: "conflict", detail });
    return { result: failedResult("workspace_conflict", detail, false) };
  }
  if (opened.status === "error") return { result: failedResult("workspace", opened.message, false) };
  store.workspaces.opened({
    ...task.key,
    repo: workspace.repo,
    path: opened.path,
    branch: opened.branch,
    base: opened.baseCommit,
    at: clock.now(),
  });
  report(core, task, {
    action: opened.reused ? "reused" : "opened",
    branch: opened.branch,
    path: opened.path,
    commit: opened.baseCommit,
  });
  return { dir: path.join(opened.path, workspace.subdir) };
}

/**
 * After an attempt: commits what the agent left, records the branch, and delivers it when the
 * agent reports the task done. Never throws: a failure becomes the attempt's result.
 */
export async function finishWorkspace(
  core: SupervisorCore,
  task: LiveTask,
  result: AttemptResult,
  structured: boolean,
): Promise<AttemptResult> {
  const workspace = task.spec.workspace;
  const service = core.deps.workspaces;
  const record = workspace ? core.deps.store.workspaces.get(task.key.batchId, task.key.taskId) : undefined;
  if (!workspace || !service || !record) return result;
  const done = reportedDone(result, structured);
  try {
    const committed = await service.commit({
      path: record.path,
      branch: record.branch,
      baseCommit: record.base,
      message: commitMessage(task, result, done),
    });
    if (!committed.ok) return failWith(result, "workspace", committed.message, false);
    core.deps.store.workspaces.summarized(task.key, committed.summary, core.deps.clock.now());
    if (committed.commit)
      report(core, task, {
        action: "committed",
        branch: record.branch,
        commit: committed.commit,
        detail: `${committed.summary.diffStat.files} file(s), +${committed.summary.diffStat.insertions} −${committed.summary.diffStat.deletions}`,
      });
    if (!done || workspace.deliver === "branch") return result;
    const failure = await deliverBranch(core, task, { draft: done.handoff, summary: done.summary });
    return failure ? failWith(result, "delivery", failure, false) : result;
  } catch (error) {
    return failWith(result, "workspace", errorMessage(error), false);
  }
}

/**
 * Hands the task's branch over as its workspace asks (pull request, merge queue) and records how;
 * the failure's message, or undefined when delivered. Used after an attempt and by `retry --deliver`.
 */
export async function deliverBranch(
  core: SupervisorCore,
  task: { key: LiveTask["key"]; spec: LiveTask["spec"] },
  how: { draft: boolean; summary: string },
): Promise<string | undefined> {
  const workspace = task.spec.workspace;
  const service = core.deps.workspaces;
  const record = core.deps.store.workspaces.get(task.key.batchId, task.key.taskId);
  if (!workspace || !service || !record) return "the task has no worktree to deliver";
  const delivered = await service.deliver({
    ...task.key,
    workspace,
    path: record.path,
    branch: record.branch,
    baseCommit: record.base,
    title: task.spec.title,
    body: pullRequestBody(task.spec.prompt, how.summary),
    draft: how.draft,
    onGateOutput: (line) => report(core, task, { action: "setup", detail: line }),
  });
  const at = core.deps.clock.now();
  core.deps.store.workspaces.delivered(task.key, {
    ...delivered.record,
    summary: how.summary,
    handoff: how.draft,
    at,
  });
  report(core, task, {
    action: delivered.ok ? "delivered" : "delivery_failed",
    branch: record.branch,
    ...(delivered.record.mergeCommit ? { commit: delivered.record.mergeCommit } : {}),
    detail: delivered.ok ? delivered.summary : delivered.message,
  });
  return delivered.ok ? undefined : delivered.message;
}

/** Branches of the task's dependencies on the same repository, in the order it names them. */
function dependencyBranches(core: SupervisorCore, task: LiveTask, workspace: TaskWorkspace): string[] {
  return task.spec.dependsOn.flatMap((id) => {
    const record = core.deps.store.workspaces.get(task.key.batchId, id);
    return record && record.repo === workspace.repo ? [record.branch] : [];
  });
}

/** Whether the agent reported the task done (complete, or handoff: done, needs review). */
function reportedDone(
  result: AttemptResult,
  structured: boolean,
): { handoff: boolean; summary: string } | undefined {
  if (result.status !== "succeeded") return undefined;
  if (!structured) return { handoff: false, summary: result.finalText.trim() };
  const report = AgentReport.safeParse(result.report);
  if (!report.success) return undefined;
  const { outcome, summary } = report.data;
  if (outcome === "complete" || outcome === "handoff") return { handoff: outcome === "handoff", summary };
  return undefined;
}

function commitMessage(task: LiveTask, result: AttemptResult, done: { summary: string } | undefined): string {
  const report = AgentReport.safeParse(result.report);
  const summary = report.success ? report.data.summary : result.finalText.trim();
  const subject = done
    ? firstLine(summary) || task.spec.title
    : `${task.spec.title} (unfinished: attempt ${result.status})`;
  return `${subject}\n\ndrover task ${task.key.taskId} of batch ${task.key.batchId}\n\n${summary}`.trim();
}

function firstLine(text: string): string {
  const line = text.split("\n")[0]?.trim() ?? "";
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

function pullRequestBody(prompt: string, summary: string | undefined): string {
  return `${summary ? `${summary}\n\n` : ""}## Task\n\n${prompt}\n\n_Opened by drover._`;
}

function report(
  core: SupervisorCore,
  task: { key: LiveTask["key"] },
  event: {
    action: "opened" | "reused" | "setup" | "conflict" | "committed" | "delivered" | "delivery_failed";
    branch?: string;
    path?: string;
    commit?: string;
    detail?: string;
  },
): void {
  try {
    core.deps.store.reportEvent({ type: "workspace", ...task.key, ...event });
  } catch (error) {
    core.warn("workspace_event", error, task.key.taskId);
  }
}

function failedResult(
  type: "workspace" | "workspace_conflict",
  message: string,
  retryable: boolean,
): AttemptResult {
  return {
    status: "failed",
    failure: { type, message, retryable },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  };
}

function failWith(
  result: AttemptResult,
  type: "workspace" | "delivery",
  message: string,
  retryable: boolean,
): AttemptResult {
  return { ...result, status: "failed", failure: { type, message, retryable } };
}

/** A `retry --deliver` attempt: delivers the branch again, without the agent. */
export async function deliverAgain(core: SupervisorCore, task: LiveTask): Promise<AttemptResult> {
  const delivery = core.deps.store.workspaces.get(task.key.batchId, task.key.taskId)?.delivery;
  const summary = delivery?.summary ?? task.spec.title;
  const handoff = delivery?.handoff ?? false;
  const failure = await deliverBranch(core, task, { draft: handoff, summary });
  const done: AttemptResult = {
    status: "succeeded",
    report: { outcome: handoff ? "handoff" : "complete", summary },
    tokens: zeroTokens(),
    cost: 0,
    finalText: summary,
    filesChanged: [],
  };
  return failure ? failWith(done, "delivery", failure, false) : done;
}
