import { createHash } from "node:crypto";
import { readFile, realpath, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { errorMessage } from "../core/errors.ts";
import { git } from "./git.ts";

/**
 * What drover notes about a worktree when it makes one, kept in the worktree's own git folder
 * (`<repo>/.git/worktrees/<name>/drover-worktree.json`): it goes away with the worktree, never
 * shows in `git status`, and lets a restarted daemon reuse the worktree knowing its base.
 */
export const WorktreeRecord = z.object({
  batchId: z.string(),
  taskId: z.string(),
  /** Top folder of the repository's main working tree. */
  repo: z.string(),
  branch: z.string(),
  /** What the task asked to start from (`HEAD`, a branch, a tag, a commit). */
  base: z.string(),
  baseCommit: z.string(),
  /** The branch `base` named or HEAD was on, when it was a branch: what "merged" is measured against. */
  baseBranch: z.string().optional(),
  /** Paths copied in from the main tree (relative): kept out of result commits and of "dirty". */
  copied: z.array(z.string()),
  createdAt: z.number(),
  /** False until copies, dependency merges and setup all succeeded; an unready worktree is redone. */
  ready: z.boolean(),
});
export type WorktreeRecord = z.infer<typeof WorktreeRecord>;

const recordFile = "drover-worktree.json";

/**
 * A batch or task id as one git ref component and one folder name. Ids drover accepts
 * (`t12`, `1.2`, `bat_…`) stay as they are; anything git or a file system refuses becomes `-`,
 * with a short hash of the original so two different ids never share a branch.
 */
export function safeRefName(id: string): string {
  let name = id
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[.-]/, "_")
    .replace(/(\.lock|\.)$/, "$1_");
  if (name === "") name = "_";
  if (name === id) return name;
  return `${name}-${createHash("sha256").update(id).digest("hex").slice(0, 8)}`;
}

/** The task's branch: `drover/<batchId>/<taskId>`. */
export function taskBranch(batchId: string, taskId: string): string {
  return `drover/${safeRefName(batchId)}/${safeRefName(taskId)}`;
}

/** Where the task's worktree lives: `<root>/<batchId>/<taskId>`. */
export function taskWorktreePath(root: string, batchId: string, taskId: string): string {
  return path.join(root, safeRefName(batchId), safeRefName(taskId));
}

/** The worktree's private git folder, or undefined when `worktree` is not a linked worktree's top. */
export async function worktreeGitDir(worktree: string): Promise<string | undefined> {
  const result = await git(worktree, [
    "rev-parse",
    "--absolute-git-dir",
    "--git-common-dir",
    "--show-toplevel",
  ]);
  if (!result.ok) return undefined;
  const [gitDir, commonDir, top] = result.stdout.trim().split("\n");
  if (!gitDir || !commonDir || !top) return undefined;
  // The main working tree's git dir is the common dir; only a linked worktree has its own.
  if (path.resolve(worktree, commonDir) === gitDir) return undefined;
  const real = await realpath(worktree).catch(() => path.resolve(worktree));
  return path.resolve(top) === real ? gitDir : undefined;
}

/** The record drover wrote for the worktree at `worktree`, or undefined when there is none. */
export async function readWorktreeRecord(worktree: string): Promise<WorktreeRecord | undefined> {
  const gitDir = await worktreeGitDir(worktree);
  if (!gitDir) return undefined;
  try {
    const parsed = WorktreeRecord.safeParse(
      JSON.parse(await readFile(path.join(gitDir, recordFile), "utf8")),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the worktree's record (atomically); why it could not, or undefined when written. */
export async function writeWorktreeRecord(
  worktree: string,
  record: WorktreeRecord,
): Promise<string | undefined> {
  const gitDir = await worktreeGitDir(worktree);
  if (!gitDir) return `${worktree} is not a git worktree`;
  const file = path.join(gitDir, recordFile);
  try {
    await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
    return undefined;
  } catch (error) {
    return `could not write ${file}: ${errorMessage(error)}`;
  }
}

/** Pathspecs that leave the copied-in files out of `git add` and `git status`. */
export function leftoverPathspec(record: WorktreeRecord | undefined): string[] {
  const copied = record?.copied ?? [];
  return copied.length === 0 ? [] : ["--", ".", ...copied.map((file) => `:(exclude,literal)${file}`)];
}
