import { Octokit } from "@octokit/rest";
import { errorMessage } from "../core/errors.ts";
import { gitTokenEnv, httpOriginOf } from "../security/git-credentials.ts";
import { git, gitFailure } from "./git.ts";
import { ownerAndName } from "./remote-url.ts";

/** Where and how to open a pull request for a task's branch. */
export interface PullRequestPlan {
  /** The task's worktree (the branch is pushed from here). */
  path: string;
  branch: string;
  remote: string;
  /** The branch the pull request targets. */
  target: string;
  title: string;
  body: string;
  draft: boolean;
  github: { apiUrl: string; repo?: string; token?: string | GithubTokenLookup };
}

/**
 * The token for a repository, asked once the repository is known (a GitHub App token is minted
 * for that repository only); or why there is none. The message never holds a token.
 */
export type GithubTokenLookup = (repository: {
  owner: string;
  name: string;
}) => Promise<{ ok: true; token: string } | { ok: false; message: string }>;

export type PullRequestOpened =
  | { ok: true; pr: { number: number; url: string; draft: boolean }; existing: boolean }
  | { ok: false; stage: "push" | "pull_request"; message: string };

/**
 * Pushes the branch to the remote (over HTTPS with the repository's token), then opens a pull request through the GitHub REST API (or finds
 * the open one for this branch: delivering twice opens one). Never throws; messages never hold the token.
 */
export async function openPullRequest(plan: PullRequestPlan): Promise<PullRequestOpened> {
  const given = typeof plan.github.token === "string" ? plan.github.token : undefined;
  const remoteUrl = await git(plan.path, ["remote", "get-url", plan.remote]);
  const where = repositoryOf(plan, remoteUrl.ok ? remoteUrl.stdout : undefined);
  // The token first: over HTTPS the push authenticates with it (a GitHub App token minted for
  // this repository), through a credential helper that reads it from git's environment.
  const granted = "message" in where ? undefined : await tokenFor(plan.github.token, where);
  const origin = httpOriginOf(remoteUrl.ok ? remoteUrl.stdout : undefined);
  const pushToken = granted?.ok ? granted.token : undefined;
  const hide = (text: string) => hideToken(hideToken(text, given), pushToken);
  const pushed = await git(
    plan.path,
    ["push", "--quiet", plan.remote, `refs/heads/${plan.branch}:refs/heads/${plan.branch}`],
    origin && pushToken ? { env: gitTokenEnv(origin, pushToken) } : {},
  );
  if (!pushed.ok)
    return {
      ok: false,
      stage: "push",
      message: hide(`git push to ${plan.remote} failed: ${gitFailure(pushed)}`),
    };
  if ("message" in where) return { ok: false, stage: "pull_request", message: where.message };
  if (!granted?.ok)
    return {
      ok: false,
      stage: "pull_request",
      message: `${granted?.message ?? noTokenConfigured} (the branch is pushed)`,
    };
  const token = granted.token;
  const octokit = new Octokit({
    auth: token,
    baseUrl: plan.github.apiUrl.replace(/\/+$/, ""),
    userAgent: "drover",
  });
  try {
    const created = await octokit.rest.pulls.create({
      owner: where.owner,
      repo: where.name,
      title: plan.title,
      head: plan.branch,
      base: plan.target,
      body: plan.body,
      draft: plan.draft,
    });
    const pr = created.data;
    return {
      ok: true,
      existing: false,
      pr: { number: pr.number, url: pr.html_url, draft: pr.draft ?? plan.draft },
    };
  } catch (error) {
    // 422 "A pull request already exists": delivering again finds it instead of failing.
    if (statusOf(error) === 422) {
      const open = await octokit.rest.pulls
        .list({ owner: where.owner, repo: where.name, head: `${where.owner}:${plan.branch}`, state: "open" })
        .catch(() => undefined);
      const pr = open?.data[0];
      if (pr)
        return {
          ok: true,
          existing: true,
          pr: { number: pr.number, url: pr.html_url, draft: pr.draft ?? false },
        };
    }
    return {
      ok: false,
      stage: "pull_request",
      message: hideToken(
        `opening the pull request on ${where.owner}/${where.name} failed: ${errorMessage(error)}`,
        token,
      ),
    };
  }
}

function repositoryOf(
  plan: PullRequestPlan,
  remoteUrl: string | undefined,
): { owner: string; name: string } | { message: string } {
  if (plan.github.repo) {
    const [owner, name] = plan.github.repo.split("/");
    if (owner && name) return { owner, name };
  }
  const parsed = remoteUrl ? ownerAndName(remoteUrl) : undefined;
  return (
    parsed ?? {
      message: `cannot tell the GitHub repository from remote ${plan.remote}: set repos.<path>.github.repo to "owner/name" (the branch is pushed)`,
    }
  );
}

/** Why a pull request cannot be opened without `tokens` in the config, and how to fix it. */
export const noTokenConfigured =
  'no GitHub token configured: set tokens.github in drover.json (a GitHub App: appId, privateKeyPath, installationId), or tokens.mode "delegated" to use your own GITHUB_TOKEN or GH_TOKEN';

async function tokenFor(
  token: PullRequestPlan["github"]["token"],
  repository: { owner: string; name: string },
): Promise<{ ok: true; token: string } | { ok: false; message: string }> {
  if (typeof token === "function") return token(repository);
  if (token) return { ok: true, token };
  return { ok: false, message: noTokenConfigured };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

function hideToken(text: string, token: string | undefined): string {
  return token ? text.split(token).join("***") : text;
}
