import type { RepoSettings } from "../config/workspace-settings.ts";
import type { TaskWorkspace } from "../core/task-spec.ts";
import type { BranchMergeQueue } from "./branch-merge-queue.ts";
import { git, resolveCommit } from "./git.ts";
import { type GithubTokenLookup, openPullRequest } from "./open-pull-request.ts";
import type { DeliveryDone, TaskWorkspaces } from "./task-workspaces.ts";

export interface DeliverySetup {
  settings: RepoSettings;
  mergeQueue: BranchMergeQueue;
  /**
   * The GitHub token of a task on a repository (config `tokens`: minted for it, or the user's own);
   * absent when none is configured, and a pull request then fails saying how to configure one.
   */
  githubToken?: (
    task: { batchId: string; taskId: string },
    repository: { owner: string; name: string },
  ) => ReturnType<GithubTokenLookup>;
}

/** Hands a task's branch over as `deliver:` asks: a pull request, or a merge through the queue. */
export async function deliverTaskBranch(
  request: Parameters<TaskWorkspaces["deliver"]>[0],
  setup: DeliverySetup,
): Promise<DeliveryDone> {
  const { workspace, settings } = { workspace: request.workspace, settings: setup.settings };
  const mode = workspace.deliver;
  const target = await deliveryTarget(workspace, settings);
  if (!target)
    return failed(
      mode,
      undefined,
      `no target branch: the repository is on a detached HEAD; set target on the task or repos.<path>.target`,
    );
  if (mode === "pr") {
    const { githubToken } = setup;
    const task = { batchId: request.batchId, taskId: request.taskId };
    const opened = await openPullRequest({
      path: request.path,
      branch: request.branch,
      remote: settings.remote,
      target,
      title: request.title,
      body: request.body,
      draft: request.draft,
      github: {
        apiUrl: settings.github.apiUrl,
        ...(settings.github.repo ? { repo: settings.github.repo } : {}),
        ...(githubToken ? { token: (repository) => githubToken(task, repository) } : {}),
      },
    });
    if (!opened.ok)
      return failed(mode, target, `${opened.stage === "push" ? "push" : "pull request"}: ${opened.message}`);
    const pr = opened.pr;
    return {
      ok: true,
      summary: `${opened.existing ? "pull request already open" : "opened pull request"} #${pr.number}${pr.draft ? " (draft)" : ""} ${pr.url}`,
      record: { mode, state: "delivered", pr, target },
    };
  }
  if (mode === "merge") {
    const gate = workspace.gate ?? settings.gate;
    const merged = await setup.mergeQueue.merge({
      repo: workspace.repo,
      branch: request.branch,
      target,
      ...(gate ? { gate } : {}),
      ...(settings.setup ? { setup: settings.setup } : {}),
      message: `Merge ${request.branch}: ${request.title}`,
      onOutput: request.onGateOutput,
    });
    if (!merged.ok) return failed(mode, target, `${merged.stage}: ${merged.message}`);
    return {
      ok: true,
      summary: `merged into ${target} as ${merged.mergeCommit.slice(0, 10)}${gate ? ` (gate "${gate}" passed)` : ""}`,
      record: { mode, state: "delivered", mergeCommit: merged.mergeCommit, target },
    };
  }
  return {
    ok: true,
    summary: `branch ${request.branch} left for review`,
    record: { mode, state: "delivered" },
  };
}

/**
 * The branch a pull request or merge targets: the task's `target`, the repository's, the base when
 * it names a branch, else the branch the repository has checked out.
 */
export async function deliveryTarget(
  workspace: TaskWorkspace,
  settings: RepoSettings,
): Promise<string | undefined> {
  const named = workspace.target ?? settings.target;
  if (named) return named;
  if (
    workspace.base &&
    workspace.base !== "HEAD" &&
    (await resolveCommit(workspace.repo, `refs/heads/${workspace.base}`))
  )
    return workspace.base;
  const head = await git(workspace.repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  return head.ok ? head.stdout.trim() || undefined : undefined;
}

function failed(mode: TaskWorkspace["deliver"], target: string | undefined, message: string): DeliveryDone {
  return { ok: false, message, record: { mode, state: "failed", message, ...(target ? { target } : {}) } };
}
