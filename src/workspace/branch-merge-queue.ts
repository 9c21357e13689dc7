import { existsSync } from "node:fs";
import path from "node:path";
import { commitConfigArgs, git, gitFailure, outputLines, resolveCommit } from "./git.ts";
import { runSetup } from "./run-setup.ts";
import { safeRefName } from "./worktree-record.ts";

// The local merge queue (`deliver: merge`): task branches are merged into a target branch one at a
// time, per repository and target. Each merge happens in a worktree of the queue's own, detached at
// the target's commit, so no working tree of the user's is touched; the gate runs there; only a
// green gate moves the target branch, with a compare-and-swap so a branch moved meanwhile is never
// overwritten. Each task becomes one merge commit (`--no-ff`), so it can be reverted as one.

export interface MergeRequest {
  repo: string;
  branch: string;
  target: string;
  /** Run after the merge (`sh -c`); a non-zero exit undoes the merge. */
  gate?: string;
  /** Run once when the queue's worktree is made (the repository's `setup`, e.g. `npm ci`), so the gate can run. */
  setup?: string;
  message: string;
  onOutput?: (line: string) => void;
}

export type MergeDone =
  | { ok: true; mergeCommit: string; target: string }
  | { ok: false; stage: "merge" | "gate"; message: string; paths?: string[] };

export class BranchMergeQueue {
  readonly #root: string;
  readonly #env: Record<string, string>;
  readonly #tails = new Map<string, Promise<unknown>>();

  /** `root`: where the queue keeps its worktrees (`<root>/_merge/…`); `env`: for setup and gate (a shared cache). */
  constructor(options: { root: string; env?: Record<string, string> }) {
    this.#root = options.root;
    this.#env = options.env ?? {};
  }

  /** Queues the merge behind the others into the same target; resolves when it is done or undone. */
  merge(request: MergeRequest): Promise<MergeDone> {
    const key = `${path.resolve(request.repo)}\n${request.target}`;
    const before = this.#tails.get(key) ?? Promise.resolve();
    const run = before.then(() => this.#mergeNow(request));
    const tail = run.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run.catch((error: unknown) => ({
      ok: false as const,
      stage: "merge" as const,
      message: `the merge queue failed: ${error instanceof Error ? error.message : String(error)}`,
    }));
  }

  async #mergeNow(request: MergeRequest): Promise<MergeDone> {
    const { repo, branch, target } = request;
    const fail = (message: string, paths?: string[]): MergeDone => ({
      ok: false,
      stage: "merge",
      message,
      ...(paths ? { paths } : {}),
    });
    const targetCommit = await resolveCommit(repo, `refs/heads/${target}`);
    if (!targetCommit) return fail(`target branch ${target} does not exist in ${repo}`);
    const holder = await checkedOutIn(repo, target);
    if (holder) return fail(targetCheckedOutMessage(target, holder));
    const worktree = await this.#worktree(request, targetCommit);
    if ("message" in worktree) return fail(worktree.message);
    const config = await commitConfigArgs(worktree.path);
    const merged = await git(worktree.path, [
      ...config,
      "-c",
      "commit.gpgSign=false",
      "merge",
      "--no-ff",
      "--no-verify",
      "-m",
      request.message,
      `refs/heads/${branch}`,
    ]);
    if (!merged.ok) {
      const conflicts = await git(worktree.path, ["diff", "--name-only", "--diff-filter=U"]);
      await git(worktree.path, ["merge", "--abort"]);
      await git(worktree.path, ["reset", "--hard", "--quiet", targetCommit]);
      const paths = conflicts.ok ? outputLines(conflicts.stdout) : [];
      return paths.length > 0
        ? fail(`merging ${branch} into ${target} conflicts in ${paths.join(", ")}`, paths)
        : fail(`merging ${branch} into ${target} failed: ${gitFailure(merged)}`);
    }
    const mergeCommit = await resolveCommit(worktree.path, "HEAD");
    if (!mergeCommit) return fail("the merge made no commit");
    if (request.gate) {
      request.onOutput?.(`gate: ${request.gate}`);
      const gated = await runSetup({
        command: request.gate,
        cwd: worktree.path,
        env: this.#env,
        label: "gate",
        ...(request.onOutput ? { onOutput: (line: string) => request.onOutput?.(line) } : {}),
      });
      if (!gated.ok) {
        await git(worktree.path, ["reset", "--hard", "--quiet", targetCommit]);
        return {
          ok: false,
          stage: "gate",
          message: `${gated.message}\nthe merge of ${branch} into ${target} was undone`,
        };
      }
    }
    const moved = await git(repo, [
      "update-ref",
      "-m",
      `drover: merge ${branch}`,
      `refs/heads/${target}`,
      mergeCommit,
      targetCommit,
    ]);
    if (!moved.ok)
      return fail(`${target} moved while ${branch} was being merged; deliver again (${gitFailure(moved)})`);
    return { ok: true, mergeCommit, target };
  }

  /** The queue's worktree for this target, detached at `commit`, with the repository's setup run once. */
  async #worktree(request: MergeRequest, commit: string): Promise<{ path: string } | { message: string }> {
    const where = path.join(
      this.#root,
      "_merge",
      safeRefName(path.basename(request.repo)),
      safeRefName(request.target),
    );
    if (!existsSync(where)) {
      await git(request.repo, ["worktree", "prune"]);
      const added = await git(request.repo, ["worktree", "add", "--detach", "--quiet", where, commit]);
      if (!added.ok) return { message: `could not make the merge queue's worktree: ${gitFailure(added)}` };
      if (request.setup) {
        const setup = await runSetup({
          command: request.setup,
          cwd: where,
          env: this.#env,
          ...(request.onOutput ? { onOutput: (line: string) => request.onOutput?.(line) } : {}),
        });
        if (!setup.ok) {
          await git(request.repo, ["worktree", "remove", "--force", where]);
          return { message: setup.message };
        }
      }
      return { path: where };
    }
    const reset = await git(where, ["checkout", "--detach", "--force", "--quiet", commit]);
    if (!reset.ok) return { message: `could not reset the merge queue's worktree: ${gitFailure(reset)}` };
    // Leftovers of an earlier gate go; ignored files (installed dependencies) stay for the next one.
    await git(where, ["clean", "-fdq"]);
    return { path: where };
  }
}

/** The working tree that has `branch` checked out, if any. */
export async function checkedOutIn(repo: string, branch: string): Promise<string | undefined> {
  const listed = await git(repo, ["worktree", "list", "--porcelain"]);
  if (!listed.ok) return undefined;
  let current: string | undefined;
  for (const line of outputLines(listed.stdout)) {
    if (line.startsWith("worktree ")) current = line.slice("worktree ".length);
    else if (line === `branch refs/heads/${branch}`) return current;
  }
  return undefined;
}

/** Why the queue will not move a branch a working tree has checked out. */
export function targetCheckedOutMessage(target: string, holder: string): string {
  return (
    `${target} is checked out in ${holder}: the merge queue moves the target branch itself and never ` +
    `touches a working tree, so set target to a branch no tree has checked out (e.g. "integration") ` +
    `and fast-forward yours from it, or check out another branch there`
  );
}
