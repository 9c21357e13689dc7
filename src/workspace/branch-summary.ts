import { z } from "zod";
import { git, gitFailure, outputLines, resolveCommit } from "./git.ts";

/** What a task's branch holds against its base, as results and views show it. */
export const BranchSummary = z.object({
  branch: z.string(),
  /** The commit the worktree started from. */
  base: z.string(),
  head: z.string(),
  /** Commits in base..head, oldest first (dependency merges and what they brought included). */
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  /** `git diff base head`: files changed, lines added and removed (binary files count as a file only). */
  diffStat: z.object({ files: z.number(), insertions: z.number(), deletions: z.number() }),
});
export type BranchSummary = z.infer<typeof BranchSummary>;

/**
 * Sums up `branch` (read in the worktree at `path`) against `baseCommit`: its head, the commits
 * base..head and the diff stat — what delivering the branch would bring to its base.
 */
export async function summarizeBranch(options: {
  path: string;
  baseCommit: string;
  branch: string;
}): Promise<{ ok: true; summary: BranchSummary } | { ok: false; message: string }> {
  const { path, baseCommit, branch } = options;
  const head = await resolveCommit(path, `refs/heads/${branch}`);
  if (!head) return { ok: false, message: `branch ${branch} does not exist` };
  const base = await resolveCommit(path, baseCommit);
  if (!base) return { ok: false, message: `base ${baseCommit} of ${branch} is not a commit` };

  const log = await git(path, [
    "log",
    "--reverse",
    "--no-show-signature",
    "--format=%H%x09%s",
    `${base}..${head}`,
  ]);
  if (!log.ok) return { ok: false, message: `git log failed: ${gitFailure(log)}` };
  const commits = outputLines(log.stdout).map((line) => {
    const tab = line.indexOf("\t");
    return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
  });

  // Explicit flags so the user's diff settings (renames off, external diff, colour) do not change the figures.
  const numstat = await git(path, [
    "diff",
    "--numstat",
    "--find-renames",
    "--no-ext-diff",
    "--no-color",
    base,
    head,
  ]);
  if (!numstat.ok) return { ok: false, message: `git diff failed: ${gitFailure(numstat)}` };
  const diffStat = { files: 0, insertions: 0, deletions: 0 };
  for (const line of outputLines(numstat.stdout)) {
    const [added, deleted] = line.split("\t");
    diffStat.files += 1;
    // A binary file shows "-" for both counts.
    diffStat.insertions += Number(added) || 0;
    diffStat.deletions += Number(deleted) || 0;
  }
  return { ok: true, summary: { branch, base, head, commits, diffStat } };
}
