import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { githubSignature } from "../../src/hooks/github-signature.ts";
import { gitIn, isolateGitConfig, makeGitRepo, type TempGitRepo } from "../helpers/git-repo.ts";
import { GitHubApiStandIn } from "../helpers/github-api-stand-in.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { waitFor } from "../helpers/wait-for.ts";

// GitHub webhooks on a real daemon: deliveries signed as GitHub signs them (X-Hub-Signature-256),
// an issue labelled `drover` becoming a task in its repository that ends in a pull request, and the
// issue's one comment — created at dispatch, edited at the end — on a stand-in of GitHub's REST API.

isolateGitConfig();

const token = "ghp_webhookTestToken0123456789abcdefABCD";
const secret = "webhook-secret-for-tests";

describe("GitHub webhooks (POST /hooks/github, real daemon)", () => {
  let git: TempGitRepo;
  let github: GitHubApiStandIn;
  let daemon: CliRun;
  let url: string;
  const stateDir = () => path.join(git.dir, "state");

  const deliver = (
    event: string,
    payload: unknown,
    options: { id?: string; signature?: string | null } = {},
  ) => {
    const body = JSON.stringify(payload);
    const signature = options.signature === undefined ? githubSignature(secret, body) : options.signature;
    return fetch(`${url}/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": options.id ?? `delivery-${Math.random()}`,
        ...(signature ? { "x-hub-signature-256": signature } : {}),
      },
      body,
    });
  };
  const labelled = (login: string) => ({
    action: "labeled",
    label: { name: "drover" },
    issue: { number: 7, title: "Add a fix file", body: "[[write fix.txt fixed]]" },
    repository: { full_name: "acme/app" },
    sender: { login },
  });
  const batches = async () => {
    const run = runDrover(["status", "--json", "--state-dir", stateDir()], { cwd: git.dir });
    await run.exited;
    return (JSON.parse(run.stdout()) as { batches: unknown[] }).batches;
  };

  const startDaemon = async () => {
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", stateDir()], {
      cwd: git.dir,
      env: { GITHUB_TOKEN: token, DROVER_GITHUB_WEBHOOK_SECRET: secret },
    });
    await daemon.waitForOutput(/listening on/);
    url = /listening on (http:\/\/[^\s)]+)/.exec(daemon.stdout())?.[1] ?? "";
  };

  before(async () => {
    git = makeGitRepo({ "README.md": "# demo\n" });
    const bare = path.join(git.dir, "origin.git");
    execFileSync("git", ["init", "--quiet", "--bare", bare]);
    gitIn(git.repo, "remote", "add", "origin", bare);
    github = await GitHubApiStandIn.start(token);
    writeFileSync(
      path.join(git.dir, "drover.json"),
      JSON.stringify({
        tokens: { mode: "delegated" },
        repos: { repo: { github: { apiUrl: github.url, repo: "acme/app" } } },
        hooks: { github: { allowedUsers: ["alice"] } },
      }),
    );
    await startDaemon();
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    await github.close();
    git.cleanup();
  });

  it("refuses an unsigned or wrongly signed delivery (401) and creates nothing", async () => {
    const unsigned = await deliver("issues", labelled("alice"), { signature: null });
    assert.equal(unsigned.status, 401);
    const wrong = await deliver("issues", labelled("alice"), {
      signature: githubSignature("not-the-secret", "{}"),
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await batches(), []);
    assert.equal(github.comments.size, 0);
  });

  it("ignores a sender who is not allowed, creating nothing", async () => {
    const answer = await deliver("issues", labelled("mallory"));
    assert.equal(answer.status, 200);
    assert.match(
      ((await answer.json()) as { ignored: string }).ignored,
      /mallory is not in hooks\.github\.allowedUsers/,
    );
    assert.deepEqual(await batches(), []);
  });

  it("turns a labelled issue into a task that ends in a pull request, with one comment edited at the end", async () => {
    const answer = await deliver("issues", labelled("alice"), { id: "delivery-1" });
    assert.equal(answer.status, 202);
    const { batchId, taskId } = (await answer.json()) as { batchId: string; taskId: string };
    assert.equal(taskId, "issue-7");
    await waitFor(() => [...github.comments.values()].some((comment) => comment.edits > 0), 120_000);
    const [comment, ...others] = [...github.comments.values()];
    assert.equal(others.length, 0, "one comment, edited, not a stream");
    assert.equal(comment?.issue, "acme/app#7");
    assert.match(
      comment?.body ?? "",
      new RegExp(`finished task \`${batchId}/issue-7\`: \\*\\*succeeded\\*\\*`),
    );
    assert.match(comment?.body ?? "", /Pull request: https:\/\/github\.example\/acme\/app\/pull\/1/);
    assert.ok(
      github.requests.some(
        (request) => request.method === "POST" && request.path === "/repos/acme/app/pulls",
      ),
      "the pull request was opened",
    );
    // GitHub delivering the same event again creates nothing new.
    const again = await deliver("issues", labelled("alice"), { id: "delivery-1" });
    assert.equal(again.status, 202);
    assert.equal(((await again.json()) as { created: boolean }).created, false);
    assert.equal(github.comments.size, 1);
  });

  it("takes a /drover comment from an allowed user as a task", async () => {
    const answer = await deliver("issue_comment", {
      action: "created",
      issue: { number: 7, title: "Add a fix file" },
      comment: { id: 55, body: "/drover [[reply looked at it]]" },
      repository: { full_name: "acme/app" },
      sender: { login: "alice" },
    });
    assert.equal(answer.status, 202);
    assert.equal(((await answer.json()) as { taskId: string }).taskId, "issue-7-comment-55");
  });

  it("edits the same comment when the task ends after a daemon restart", async () => {
    const onIssue8 = () => [...github.comments.values()].filter((comment) => comment.issue === "acme/app#8");
    const answer = await deliver("issues", {
      ...labelled("alice"),
      issue: { number: 8, title: "Slow work", body: "[[bash sleep 4]] [[write slow.txt done]]" },
    });
    assert.equal(answer.status, 202);
    const { batchId } = (await answer.json()) as { batchId: string };
    await waitFor(() => onIssue8().length === 1, 60_000);
    // The daemon stops while the task runs (its work is handed back) and a new one takes over.
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    assert.equal(onIssue8()[0]?.edits, 0, "not ended before the restart");
    await startDaemon();
    await waitFor(() => (onIssue8()[0]?.edits ?? 0) > 0, 120_000);
    const [comment, ...others] = onIssue8();
    assert.equal(others.length, 0, "the first comment edited, no second one");
    assert.match(
      comment?.body ?? "",
      new RegExp(`finished task \`${batchId}/issue-8\`: \\*\\*succeeded\\*\\*`),
    );
  });
});
