import { commitConfigArgs, git, gitFailure, outputLines, resolveCommit } from "./git.ts";

/** How merging a task's dependency branches into its worktree went. */
export type DependencyMerge =
  | { status: "merged" }
  | { status: "conflict"; branch: string; paths: string[] }
  | { status: "error"; message: string };

/**
 * Merges `branches` into the worktree at `worktree`, in order, each with its own merge commit
 * (`--no-ff`), so the task starts from its dependencies' work. A branch already merged is a no-op.
 * On a conflict the merge is aborted (the worktree is left clean) and the conflicting paths returned.
 */
export async function mergeDependencies(
  worktree: string,
  branches: readonly string[],
): Promise<DependencyMerge> {
  if (branches.length === 0) return { status: "merged" };
  const config = await commitConfigArgs(worktree);
  for (const branch of branches) {
    if (!(await resolveCommit(worktree, branch)))
      return { status: "error", message: `dependency branch "${branch}" does not exist` };
    const merged = await git(worktree, [...config, "merge", "--no-ff", "--no-edit", "--no-verify", branch]);
    if (merged.ok) continue;
    const unmerged = await git(worktree, ["diff", "--name-only", "--diff-filter=U", "-z"]);
    const paths = unmerged.ok ? unmerged.stdout.split("\0").filter((file) => file !== "") : [];
    // A merge that stopped half way (conflict or not) must not stay in the worktree.
    if (await resolveCommit(worktree, "MERGE_HEAD")) await git(worktree, ["merge", "--abort"]);
    if (paths.length > 0) return { status: "conflict", branch, paths: [...new Set(paths)].sort() };
    const status = await git(worktree, ["status", "--porcelain"]);
    const left = status.ok && outputLines(status.stdout).length > 0 ? " (the worktree has changes left)" : "";
    return { status: "error", message: `merging ${branch} failed: ${gitFailure(merged)}${left}` };
  }
  return { status: "merged" };
}
