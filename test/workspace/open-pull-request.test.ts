import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openPullRequest, type PullRequestPlan } from "../../src/workspace/open-pull-request.ts";
import { ownerAndName } from "../../src/workspace/remote-url.ts";
import {
  commitAll,
  gitIn,
  isolateGitConfig,
  makeGitRepo,
  type TempGitRepo,
  writeFiles,
} from "../helpers/git-repo.ts";
import { GitHubApiStandIn } from "../helpers/github-api-stand-in.ts";

isolateGitConfig();

const token = "ghp_standInToken0123456789abcdefABCDEF";

describe("deliver: pr (push, then the GitHub REST API)", () => {
  let git: TempGitRepo;
  let github: GitHubApiStandIn;
  let bare: string;
  beforeEach(async () => {
    git = makeGitRepo();
    bare = path.join(git.dir, "origin.git");
    execFileSync("git", ["init", "--quiet", "--bare", bare]);
    gitIn(git.repo, "remote", "add", "origin", bare);
    gitIn(git.repo, "switch", "--quiet", "-c", "drover/b1/t1");
    writeFiles(git.repo, { "feature.txt": "new\n" });
    commitAll(git.repo, "add feature");
    gitIn(git.repo, "switch", "--quiet", "main");
    github = await GitHubApiStandIn.start(token);
  });
  afterEach(async () => {
    await github.close();
    git.cleanup();
  });

  const plan = (over: Partial<PullRequestPlan> = {}): PullRequestPlan => ({
    path: git.repo,
    branch: "drover/b1/t1",
    remote: "origin",
    target: "main",
    title: "Add the feature",
    body: "Added it.",
    draft: false,
    github: { apiUrl: github.url, repo: "acme/app", token },
    ...over,
  });

  it("pushes the branch and opens a pull request as GitHub documents it (draft on handoff)", async () => {
    const opened = await openPullRequest(plan({ draft: true }));
    assert.deepEqual(opened, {
      ok: true,
      existing: false,
      pr: { number: 1, url: "https://github.example/acme/app/pull/1", draft: true },
    });
    assert.equal(gitIn(bare, "rev-parse", "drover/b1/t1"), gitIn(git.repo, "rev-parse", "drover/b1/t1"));
    const [request] = github.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/repos/acme/app/pulls");
    assert.match(String(request?.headers.accept), /application\/vnd\.github/);
    assert.ok(request?.headers["user-agent"]);
    assert.deepEqual(request?.body, {
      title: "Add the feature",
      head: "drover/b1/t1",
      base: "main",
      body: "Added it.",
      draft: true,
    });
  });

  it("delivering again finds the pull request already open instead of failing", async () => {
    await openPullRequest(plan());
    const again = await openPullRequest(plan());
    assert.equal(again.ok && again.existing, true);
    assert.equal(again.ok && again.pr.number, 1);
    assert.equal(
      github.requests.at(-1)?.path,
      "/repos/acme/app/pulls?head=acme%3Adrover%2Fb1%2Ft1&state=open",
    );
  });

  it("a failed push stops before the API; a failed API call keeps the pushed branch; the token never shows", async () => {
    const push = await openPullRequest(plan({ remote: "nowhere" }));
    assert.equal(!push.ok && push.stage, "push");
    assert.equal(github.requests.length, 0);
    github.failNext(500);
    const api = await openPullRequest(plan());
    assert.equal(!api.ok && api.stage, "pull_request");
    assert.equal(gitIn(bare, "rev-parse", "drover/b1/t1"), gitIn(git.repo, "rev-parse", "drover/b1/t1"));
    const denied = await openPullRequest(
      plan({ github: { apiUrl: github.url, repo: "acme/app", token: "wrong" } }),
    );
    assert.match(!denied.ok ? denied.message : "", /Bad credentials/);
    for (const result of [push, api, denied]) assert.ok(!JSON.stringify(result).includes(token));
    const none = await openPullRequest(plan({ github: { apiUrl: github.url, repo: "acme/app" } }));
    assert.match(
      !none.ok ? none.message : "",
      /no GitHub token configured: set tokens\.github .* or tokens\.mode "delegated"/,
    );
  });

  it("reads owner/name from GitHub-style remote URLs", () => {
    assert.deepEqual(ownerAndName("https://github.com/acme/app.git"), { owner: "acme", name: "app" });
    assert.deepEqual(ownerAndName("git@github.com:acme/app.git"), { owner: "acme", name: "app" });
    assert.deepEqual(ownerAndName("ssh://git@ghe.corp/acme/app"), { owner: "acme", name: "app" });
    assert.equal(ownerAndName("/srv/git/app.git"), undefined);
  });
});
