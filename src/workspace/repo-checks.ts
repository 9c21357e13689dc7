import { stat } from "node:fs/promises";
import { git, gitFailure, outputLines, resolveCommit } from "./git.ts";

/** One reason a task cannot run on a repository: which field is wrong and why. */
export interface RepoProblem {
  field: "repo" | "base";
  message: string;
}

/** Whether `base` means "whatever the main tree has checked out". */
export function isHeadBase(base: string | undefined): boolean {
  return base === undefined || base === "HEAD";
}

/**
 * What is wrong with running a task on `repo` from `base` (default HEAD): not a git repository,
 * a base that names no commit, or — with `requireClean` and base HEAD — a main tree with
 * uncommitted changes the worktree would silently leave out. Empty when all is well.
 */
export async function checkRepo(options: {
  repo: string;
  base?: string;
  requireClean?: boolean;
}): Promise<RepoProblem[]> {
  const { repo, base = "HEAD" } = options;
  const isDir = await stat(repo).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isDir) return [{ field: "repo", message: `${repo} does not exist or is not a folder` }];
  const top = await git(repo, ["rev-parse", "--is-bare-repository", "--show-toplevel"]);
  if (!top.ok) return [{ field: "repo", message: `${repo} is not a git repository (${gitFailure(top)})` }];
  if (top.stdout.startsWith("true"))
    return [{ field: "repo", message: `${repo} is a bare repository; drover needs one with a working tree` }];

  if (!(await resolveCommit(repo, base))) {
    const empty = !(await resolveCommit(repo, "HEAD"));
    const why = empty ? "the repository has no commits yet" : "no branch, tag or commit by that name";
    return [{ field: "base", message: `base "${base}" does not name a commit in ${repo} (${why})` }];
  }

  if (options.requireClean && isHeadBase(options.base)) {
    const status = await git(repo, ["--no-optional-locks", "status", "--porcelain"]);
    if (!status.ok)
      return [{ field: "repo", message: `git status failed in ${repo}: ${gitFailure(status)}` }];
    const changes = outputLines(status.stdout);
    if (changes.length > 0) {
      const shown = changes.slice(0, 3).map((line) => line.slice(3));
      const more = changes.length > 3 ? `, and ${changes.length - 3} more` : "";
      return [
        {
          field: "repo",
          message:
            `the main tree of ${repo} has uncommitted changes (${shown.join(", ")}${more}) and base is HEAD, ` +
            "so the task would not see them: commit or stash them, or name a base",
        },
      ];
    }
  }
  return [];
}
