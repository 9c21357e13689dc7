import { mkdir, readdir, realpath, rmdir } from "node:fs/promises";
import path from "node:path";
import { errorMessage } from "../core/errors.ts";
import { copyIntoWorktree } from "./copy-files.ts";
import { git, gitFailure, outputLines, resolveCommit, workTreeTop } from "./git.ts";
import { mergeDependencies } from "./merge-dependencies.ts";
import { isHeadBase } from "./repo-checks.ts";
import { dependencyCacheEnv, type OutputStream, runSetup } from "./run-setup.ts";
import {
  readWorktreeRecord,
  safeRefName,
  taskBranch,
  type WorktreeRecord,
  worktreeGitDir,
  writeWorktreeRecord,
} from "./worktree-record.ts";

/** What a task's worktree is made from; `repo` and `root` are absolute folders. */
export interface WorktreePlan {
  repo: string;
  /** Folder holding every worktree: `<root>/<batchId>/<taskId>`. */
  root: string;
  batchId: string;
  taskId: string;
  /** Branch, tag or commit to start from (default: the main tree's HEAD). */
  base?: string;
  /** Paths or globs relative to the repository copied from the main tree when present (`.env`). */
  copy?: readonly string[];
  /** Command run once, with `sh -c`, in a new worktree (`npm ci`). */
  setup?: string;
  /** Shared package-manager cache for setup: `<cacheDir>/npm`, `<cacheDir>/pnpm` … */
  cacheDir?: string;
  /** Branches merged in, in order, before setup (the task's dependencies' branches). */
  dependencyBranches?: readonly string[];
  /** Each line setup prints. */
  onOutput?: (line: string, stream: OutputStream) => void;
  /** Stops a running setup (its whole process group). */
  signal?: AbortSignal;
  /** Stamps the record's creation time (default Date.now). */
  now?: () => number;
}

/** A task's worktree made ready, or why it could not be. */
export type WorktreeOpened =
  | { status: "ready"; path: string; branch: string; baseCommit: string; reused: boolean }
  | { status: "conflict"; branch: string; paths: string[] }
  | { status: "error"; message: string };

/**
 * Makes (or finds again) the worktree of one task: branch `drover/<batchId>/<taskId>` from `base`
 * at `<root>/<batchId>/<taskId>`, dependency branches merged in, files copied, setup run. A worktree
 * that was made ready before is reused as it is (a retry, a restarted daemon); one left half made
 * (a failed setup, a conflict, a crash) is made again on the same branch. The main tree is never
 * touched: no checkout, no stash, no change to its files or index.
 */
export async function openWorktree(plan: WorktreePlan): Promise<WorktreeOpened> {
  try {
    return await open(plan);
  } catch (error) {
    return { status: "error", message: `could not make the worktree: ${errorMessage(error)}` };
  }
}

async function open(plan: WorktreePlan): Promise<WorktreeOpened> {
  const repo = await workTreeTop(plan.repo);
  if (!repo) return { status: "error", message: `${plan.repo} is not a git repository` };
  const branch = taskBranch(plan.batchId, plan.taskId);
  const batchDir = path.join(plan.root, safeRefName(plan.batchId));
  await mkdir(batchDir, { recursive: true });
  // Git records a worktree by its real path; compare and create with the same one.
  const worktree = path.join(await realpath(batchDir), safeRefName(plan.taskId));

  const existing = await findExisting(repo, worktree, branch);
  if (existing.status === "error") return existing;
  if (existing.status === "ready")
    return { status: "ready", path: worktree, branch, baseCommit: existing.record.baseCommit, reused: true };

  const base = plan.base ?? "HEAD";
  const baseCommit = await resolveCommit(repo, base);
  if (!baseCommit) {
    await rmdir(batchDir).catch(() => undefined); // made above; left only when other tasks use it
    return { status: "error", message: `base "${base}" does not name a commit in ${repo}` };
  }
  const added = await addWorktree(repo, worktree, branch, baseCommit);
  if (added.status === "error") return added;

  const record: WorktreeRecord = {
    batchId: plan.batchId,
    taskId: plan.taskId,
    repo,
    branch,
    base,
    baseCommit: added.baseCommit,
    ...(await baseBranchOf(repo, base)),
    copied: [],
    createdAt: (plan.now ?? Date.now)(),
    ready: false,
  };
  const unwritten = await writeWorktreeRecord(worktree, record);
  if (unwritten) return { status: "error", message: unwritten };

  const merged = await mergeDependencies(worktree, plan.dependencyBranches ?? []);
  if (merged.status !== "merged") return merged;
  const copied = await copyIntoWorktree(repo, worktree, plan.copy ?? []);
  if (!copied.ok) return { status: "error", message: copied.message };
  record.copied = copied.copied;
  const copiedUnwritten = await writeWorktreeRecord(worktree, record);
  if (copiedUnwritten) return { status: "error", message: copiedUnwritten };

  if (plan.setup) {
    const setup = await runSetup({
      command: plan.setup,
      cwd: worktree,
      ...(plan.cacheDir ? { env: dependencyCacheEnv(plan.cacheDir) } : {}),
      ...(plan.onOutput ? { onOutput: plan.onOutput } : {}),
      ...(plan.signal ? { signal: plan.signal } : {}),
    });
    if (!setup.ok) return { status: "error", message: setup.message };
  }
  const readyUnwritten = await writeWorktreeRecord(worktree, { ...record, ready: true });
  if (readyUnwritten) return { status: "error", message: readyUnwritten };
  return { status: "ready", path: worktree, branch, baseCommit: added.baseCommit, reused: false };
}

type Existing =
  | { status: "absent" }
  | { status: "ready"; record: WorktreeRecord }
  | { status: "error"; message: string };

/** What is already at `worktree`: nothing, a ready worktree to reuse, or something in the way (removed when ours). */
async function findExisting(repo: string, worktree: string, branch: string): Promise<Existing> {
  const names = await readdir(worktree).catch(() => undefined);
  if (!names || names.length === 0) {
    // Nothing there yet. If its folder was deleted by hand, git still has it registered and would
    // refuse to add it again.
    if (await isRegistered(repo, worktree)) await git(repo, ["worktree", "prune"]);
    return { status: "absent" };
  }
  const gitDir = await worktreeGitDir(worktree);
  const ours = gitDir !== undefined && (await commonDir(worktree)) === (await commonDir(repo));
  const onBranch = ours ? await git(worktree, ["symbolic-ref", "--quiet", "HEAD"]) : undefined;
  const record = ours ? await readWorktreeRecord(worktree) : undefined;
  if (record?.ready && record.branch === branch) return { status: "ready", record };
  if (!onBranch?.ok || onBranch.stdout.trim() !== `refs/heads/${branch}`)
    return { status: "error", message: `${worktree} exists and is not a worktree of ${repo} on ${branch}` };
  // Half made (setup failed, a conflict, a crash): start again; the branch and its commits stay.
  // Without drover's record (a crash right after `git worktree add`, or a record it cannot read)
  // nothing says no agent worked there, so git's own check must find it clean.
  const force = record ? ["--force", "--force"] : [];
  const removed = await git(repo, ["worktree", "remove", ...force, worktree]);
  if (!removed.ok)
    return {
      status: "error",
      message: `could not remove the unfinished worktree ${worktree}: ${gitFailure(removed)}`,
    };
  return { status: "absent" };
}

/** Adds the worktree on the task's branch: a new branch at `baseCommit`, or the branch already there. */
async function addWorktree(
  repo: string,
  worktree: string,
  branch: string,
  baseCommit: string,
): Promise<{ status: "added"; baseCommit: string } | { status: "error"; message: string }> {
  const checkRef = await git(repo, ["check-ref-format", `refs/heads/${branch}`]);
  if (!checkRef.ok) return { status: "error", message: `"${branch}" is not a valid branch name` };
  const known = await resolveCommit(repo, `refs/heads/${branch}`);
  const args = known
    ? ["worktree", "add", "--quiet", worktree, branch]
    : ["worktree", "add", "--quiet", "--no-track", "-b", branch, worktree, baseCommit];
  const added = await git(repo, args);
  if (!added.ok)
    return { status: "error", message: `git worktree add ${worktree} failed: ${gitFailure(added)}` };
  if (!known) return { status: "added", baseCommit };
  // The branch outlived an earlier worktree (gc keeps unmerged branches): continue it from where
  // it forked off the base.
  const fork = await git(repo, ["merge-base", baseCommit, known]);
  return { status: "added", baseCommit: fork.ok ? fork.stdout.trim() : baseCommit };
}

/** The branch `base` names (or the main tree's HEAD is on): what "merged" is measured against. */
async function baseBranchOf(repo: string, base: string): Promise<{ baseBranch?: string }> {
  if (isHeadBase(base)) {
    const head = await git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
    return head.ok ? { baseBranch: head.stdout.trim() } : {};
  }
  const name = base.replace(/^refs\/heads\//, "");
  return (await resolveCommit(repo, `refs/heads/${name}`)) ? { baseBranch: name } : {};
}

/** The repository's shared git folder as seen from `dir` (a main tree or one of its worktrees). */
async function commonDir(dir: string): Promise<string | undefined> {
  const result = await git(dir, ["rev-parse", "--git-common-dir"]);
  if (!result.ok) return undefined;
  return realpath(path.resolve(dir, result.stdout.trim())).catch(() => undefined);
}

async function isRegistered(repo: string, worktree: string): Promise<boolean> {
  const list = await git(repo, ["worktree", "list", "--porcelain"]);
  return list.ok && outputLines(list.stdout).includes(`worktree ${worktree}`);
}
