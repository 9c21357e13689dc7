import { rmdir } from "node:fs/promises";
import path from "node:path";
import { git, gitFailure } from "./git.ts";
import { listWorkspaces, type WorkspaceEntry } from "./workspace-list.ts";

const dayMs = 24 * 60 * 60 * 1000;

/** A worktree `collectWorkspaces` removed, and whether its branch went with it (only when merged). */
export type RemovedWorkspace = WorkspaceEntry & { reason: string; branchDeleted: boolean };

/** A worktree `collectWorkspaces` left in place, and why. */
export type KeptWorkspace = WorkspaceEntry & { reason: string };

/**
 * Removes the task worktrees under `root` that are done with: those whose branch is merged (the
 * branch is deleted too) and those whose task ended more than `keepDays` ago (the branch is kept:
 * it is the task's result). A worktree with uncommitted changes stays unless `force`.
 *
 * `isTaskEnded` tells when a task ended (ms), undefined while it has not; without it, the last
 * change to the worktree's files stands in for the end.
 */
export async function collectWorkspaces(options: {
  root: string;
  keepDays: number;
  now: number;
  force?: boolean;
  isTaskEnded?: (batchId: string, taskId: string) => number | undefined;
}): Promise<{ removed: RemovedWorkspace[]; kept: KeptWorkspace[] }> {
  const removed: RemovedWorkspace[] = [];
  const kept: KeptWorkspace[] = [];
  for (const entry of await listWorkspaces({ root: options.root })) {
    const verdict = decide(entry, options);
    if (verdict.action === "keep") {
      kept.push({ ...entry, reason: verdict.reason });
      continue;
    }
    const failure = await removeWorktree(entry);
    if (failure) {
      kept.push({ ...entry, reason: failure });
      continue;
    }
    const branchDeleted = entry.merged ? await deleteMergedBranch(entry) : false;
    removed.push({ ...entry, reason: verdict.reason, branchDeleted });
  }
  return { removed, kept };
}

type Verdict = { action: "remove" | "keep"; reason: string };

/** Whether one worktree goes, and why — the rules of `collectWorkspaces`, in order. */
function decide(
  entry: WorkspaceEntry,
  options: {
    keepDays: number;
    now: number;
    force?: boolean;
    isTaskEnded?: (b: string, t: string) => number | undefined;
  },
): Verdict {
  if (!entry.repo || !entry.branch)
    return { action: "keep", reason: entry.problem ?? "not a worktree drover made" };
  if (entry.dirty && !options.force) return { action: "keep", reason: "has uncommitted changes (use force)" };
  if (entry.merged) return { action: "remove", reason: `branch merged into ${entry.mergeTarget}` };
  const endedAt = options.isTaskEnded ? options.isTaskEnded(entry.batchId, entry.taskId) : entry.modifiedAt;
  if (endedAt === undefined) return { action: "keep", reason: "task has not ended" };
  const days = (options.now - endedAt) / dayMs;
  const ended = options.isTaskEnded ? "task ended" : "last changed";
  if (days > options.keepDays) return { action: "remove", reason: `${ended} ${days.toFixed(1)} days ago` };
  return { action: "keep", reason: `${ended} ${days.toFixed(1)} days ago, kept for ${options.keepDays}` };
}

/**
 * Removes the worktree (its folder and git's record of it), then its batch folder when empty.
 * `--force` is always passed: the dirty check was made above (with force, on purpose), and files
 * drover copied in (an untracked `.env`) would otherwise make git refuse.
 */
async function removeWorktree(entry: WorkspaceEntry): Promise<string | undefined> {
  const result = await git(entry.repo ?? entry.path, ["worktree", "remove", "--force", entry.path]);
  if (!result.ok) return `git worktree remove failed: ${gitFailure(result)}`;
  await rmdir(path.dirname(entry.path)).catch(() => undefined);
  return undefined;
}

/** Deletes a merged branch, only if it still points where it did when checked merged. */
async function deleteMergedBranch(entry: WorkspaceEntry): Promise<boolean> {
  if (!entry.repo || !entry.branch || !entry.head) return false;
  const result = await git(entry.repo, ["update-ref", "-d", `refs/heads/${entry.branch}`, entry.head]);
  return result.ok;
}
