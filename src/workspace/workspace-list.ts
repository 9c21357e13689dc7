import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { measureDiskUse } from "./disk-use.ts";
import { git, gitFailure, outputLines, resolveCommit } from "./git.ts";
import { leftoverPathspec, readWorktreeRecord, type WorktreeRecord } from "./worktree-record.ts";

/** One task worktree under the workspace root, as `drover workspace ls` shows it. */
export const WorkspaceEntry = z.object({
  batchId: z.string(),
  taskId: z.string(),
  path: z.string(),
  /** Missing when the folder is not a worktree drover made (see `problem`). */
  repo: z.string().optional(),
  branch: z.string().optional(),
  baseCommit: z.string().optional(),
  /** The branch's commit (the worktree's HEAD when the branch is gone). */
  head: z.string().optional(),
  diskBytes: z.number(),
  /** When drover made the worktree (ms); the folder's own time when it has no record. */
  createdAt: z.number(),
  /** Newest modification time of anything in the worktree (ms). */
  modifiedAt: z.number(),
  /** Uncommitted changes (files drover copied in do not count). */
  dirty: z.boolean(),
  /** The branch has commits of its own and all of them are in `mergeTarget`. */
  merged: z.boolean(),
  /** The branch the worktree was based on (`main`), or `HEAD` of the repository when based on a tag or commit. */
  mergeTarget: z.string().optional(),
  /** Why the entry could not be read fully (not a drover worktree, repository gone …). */
  problem: z.string().optional(),
});
export type WorkspaceEntry = z.infer<typeof WorkspaceEntry>;

/**
 * Every task worktree under `root` (`<root>/<batchId>/<taskId>`), ordered by batch then task:
 * its branch, disk use, age, whether it has uncommitted changes and whether its branch is merged.
 */
export async function listWorkspaces(options: { root: string }): Promise<WorkspaceEntry[]> {
  const entries: WorkspaceEntry[] = [];
  for (const batchDir of await subfolders(options.root)) {
    for (const taskDir of await subfolders(path.join(options.root, batchDir))) {
      const worktree = path.join(options.root, batchDir, taskDir);
      const names = await readdir(worktree).catch(() => [] as string[]);
      if (names.includes(".git")) entries.push(await describeWorktree(worktree, batchDir, taskDir));
    }
  }
  return entries;
}

/** One worktree's entry; `batchDir` and `taskDir` stand in for the ids when it has no record. */
export async function describeWorktree(
  worktree: string,
  batchDir: string,
  taskDir: string,
): Promise<WorkspaceEntry> {
  const use = await measureDiskUse(worktree, [".git"]);
  const record = await readWorktreeRecord(worktree);
  if (!record)
    return {
      batchId: batchDir,
      taskId: taskDir,
      path: worktree,
      diskBytes: use.bytes,
      createdAt: use.modifiedAt,
      modifiedAt: use.modifiedAt,
      dirty: false,
      merged: false,
      problem: "not a worktree drover made (no record in its git folder), or its repository is gone",
    };
  const status = await git(worktree, [
    "--no-optional-locks",
    "status",
    "--porcelain",
    ...leftoverPathspec(record),
  ]);
  const head =
    (await resolveCommit(worktree, `refs/heads/${record.branch}`)) ?? (await resolveCommit(worktree, "HEAD"));
  const merge = await mergedState(record, head);
  return {
    batchId: record.batchId,
    taskId: record.taskId,
    path: worktree,
    repo: record.repo,
    branch: record.branch,
    baseCommit: record.baseCommit,
    ...(head ? { head } : {}),
    diskBytes: use.bytes,
    createdAt: record.createdAt,
    modifiedAt: use.modifiedAt,
    // A status that fails counts as dirty: nothing is removed on a guess.
    dirty: !status.ok || outputLines(status.stdout).length > 0,
    merged: merge.merged,
    mergeTarget: merge.target,
    ...(status.ok ? {} : { problem: `git status failed: ${gitFailure(status)}` }),
  };
}

/**
 * Whether the branch is merged into the branch it was based on (or the repository's HEAD when it
 * was based on a tag or commit): its head is an ancestor of that branch. A branch with no commits
 * of its own is not merged — else every fresh worktree would look done. Squash and rebase merges,
 * which leave no ancestry, are not detected.
 */
async function mergedState(
  record: WorktreeRecord,
  head: string | undefined,
): Promise<{ merged: boolean; target: string }> {
  const target = record.baseBranch ?? "HEAD";
  if (!head || head === record.baseCommit) return { merged: false, target };
  const ref = record.baseBranch ? `refs/heads/${record.baseBranch}` : "HEAD";
  // Run in the main tree: there HEAD is the repository's, not the worktree's.
  const targetCommit = await resolveCommit(record.repo, ref);
  if (!targetCommit) return { merged: false, target };
  const ancestor = await git(record.repo, ["merge-base", "--is-ancestor", head, targetCommit]);
  return { merged: ancestor.ok, target };
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
