import { commitConfigArgs, git, gitFailure } from "./git.ts";
import { leftoverPathspec, readWorktreeRecord } from "./worktree-record.ts";

/** Longest subject line of a commit drover writes (git's and GitHub's convention). */
export const subjectMaxLength = 72;

const fallbackSubject = "Changes left uncommitted by the agent";

/**
 * Commits everything the agent left uncommitted in the worktree at `path` — changed, deleted and
 * new files, as `.gitignore` allows, but never the files drover copied in (`.env`) — with
 * `message` (its first line the subject, cut to 72 characters; the rest the body). The agent's
 * own commits stay as they are. `sha` is the new commit, or undefined when nothing was left.
 */
export async function commitLeftovers(options: {
  path: string;
  message: string;
}): Promise<{ ok: true; sha: string | undefined } | { ok: false; message: string }> {
  const { path } = options;
  const record = await readWorktreeRecord(path);
  if (record) {
    const head = await git(path, ["symbolic-ref", "--quiet", "HEAD"]);
    const onBranch = head.ok ? head.stdout.trim() : "a detached HEAD";
    if (onBranch !== `refs/heads/${record.branch}`)
      return {
        ok: false,
        message: `the worktree ${path} is on ${onBranch}, not on the task's branch ${record.branch}`,
      };
  }
  const added = await git(path, ["add", "--all", ...leftoverPathspec(record)]);
  if (!added.ok) return { ok: false, message: `git add failed in ${path}: ${gitFailure(added)}` };
  const staged = await git(path, ["diff", "--cached", "--quiet", "--no-ext-diff"]);
  if (staged.ok) return { ok: true, sha: undefined };
  if (staged.code !== 1) return { ok: false, message: `git diff failed in ${path}: ${gitFailure(staged)}` };

  const { subject, body } = commitText(options.message);
  const config = await commitConfigArgs(path);
  const messageArgs = ["-m", subject, ...(body ? ["-m", body] : [])];
  // `whitespace` keeps lines starting with `#` (a Markdown heading in the summary) that the default strips.
  const committed = await git(path, [
    ...config,
    "commit",
    "--quiet",
    "--no-verify",
    "--cleanup=whitespace",
    ...messageArgs,
  ]);
  if (!committed.ok) return { ok: false, message: `git commit failed in ${path}: ${gitFailure(committed)}` };
  const sha = await git(path, ["rev-parse", "HEAD"]);
  return sha.ok ? { ok: true, sha: sha.stdout.trim() } : { ok: false, message: gitFailure(sha) };
}

/** A message split into a subject of at most 72 characters and a body; a longer first line continues in the body. */
export function commitText(message: string): { subject: string; body: string } {
  const lines = message.trim().split(/\r?\n/);
  const first = (lines[0] ?? "").trim();
  const rest = lines.slice(1).join("\n").trim();
  if (first === "") return { subject: fallbackSubject, body: rest };
  if (first.length <= subjectMaxLength) return { subject: first, body: rest };
  const cut = first.lastIndexOf(" ", subjectMaxLength - 1);
  const at = cut > subjectMaxLength / 2 ? cut : subjectMaxLength - 1;
  const subject = `${first.slice(0, at).trimEnd()}…`;
  const continued = `…${first.slice(at).trimStart()}`;
  return { subject, body: rest ? `${continued}\n\n${rest}` : continued };
}
