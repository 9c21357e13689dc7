import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { gitIn, isolateGitConfig, makeGitRepo, type TempGitRepo } from "../helpers/git-repo.ts";
import { GitHubApiStandIn } from "../helpers/github-api-stand-in.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";

// Delivery through the daemon, with the real OpenCode and the scripted model: a pull request pushed
// to a bare "origin" and opened on a local stand-in of the GitHub REST API; a merge through the
// merge queue whose gate fails once, then `drover retry --deliver` delivers it without the agent.

isolateGitConfig();

const token = "ghp_deliveryTestToken0123456789abcdefABCD";

const Task = z
  .object({
    id: z.string(),
    status: z.string(),
    reason: z.string().optional(),
    attempts: z.number(),
    workspace: z
      .object({
        branch: z.string(),
        delivery: z
          .object({
            mode: z.string(),
            state: z.string(),
            pr: z.object({ number: z.number(), url: z.string(), draft: z.boolean() }).optional(),
            mergeCommit: z.string().optional(),
            message: z.string().optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .loose();
const Listing = z.object({ tasks: z.array(Task) }).loose();

describe("delivering task branches (pull request, merge queue, retry --deliver)", () => {
  let git: TempGitRepo;
  let github: GitHubApiStandIn;
  let daemon: CliRun;
  let bare: string;
  const stateDir = () => path.join(git.dir, "state");
  const cli = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir()], {
      cwd: git.dir,
      env: { GITHUB_TOKEN: token },
    });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };

  before(async () => {
    git = makeGitRepo({ "README.md": "# demo\n" });
    bare = path.join(git.dir, "origin.git");
    execFileSync("git", ["init", "--quiet", "--bare", bare]);
    gitIn(git.repo, "remote", "add", "origin", bare);
    gitIn(git.repo, "branch", "integration");
    github = await GitHubApiStandIn.start(token);
    const marker = path.join(git.dir, "gate-failed-once");
    writeFileSync(
      path.join(git.dir, "drover.json"),
      JSON.stringify({
        // The user's own token from GITHUB_TOKEN: used only when asked for by name.
        tokens: { mode: "delegated" },
        repos: {
          repo: {
            github: { apiUrl: github.url, repo: "acme/app" },
            gate: `if [ -e ${marker} ]; then echo gate green; else touch ${marker}; echo "gate red: 1 test failed"; exit 1; fi`,
          },
        },
      }),
    );
    writeFileSync(
      path.join(git.dir, "tasks.yaml"),
      [
        "defaults:",
        "  repo: repo",
        "tasks:",
        "  - id: pr",
        "    deliver: pr",
        "    title: Add the greeting",
        '    prompt: "[[write greeting.txt hello]]"',
        "  - id: merge",
        "    deliver: merge",
        "    target: integration",
        '    prompt: "[[write merged.txt hello]]"',
      ].join("\n"),
    );
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", stateDir()], {
      cwd: git.dir,
      env: { GITHUB_TOKEN: token },
    });
    await daemon.waitForOutput(/listening on/);
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0);
    assert.deepEqual(processesOwnedBy(path.join(stateDir(), "engines", "opencode")), []);
    await github.close();
    git.cleanup();
  });

  it("opens a pull request, fails a red gate keeping the branch, and delivers it again without the agent", async () => {
    const integrationBefore = gitIn(git.repo, "rev-parse", "integration");
    const submitted = await cli("submit", "tasks.yaml", "--json");
    assert.equal(submitted.code, 0, submitted.err);
    const { batchId } = JSON.parse(submitted.out) as { batchId: string };
    const waited = await cli("wait", batchId);
    assert.equal(
      waited.code,
      1,
      `the red gate fails the merge task: ${(await cli("ls", batchId, "--json")).out}`,
    );
    const first = Listing.parse(JSON.parse((await cli("ls", batchId, "--json")).out));
    const pr = first.tasks.find((task) => task.id === "pr");
    const merge = first.tasks.find((task) => task.id === "merge");

    assert.equal(pr?.status, "succeeded");
    assert.deepEqual(pr?.workspace?.delivery?.pr, {
      number: 1,
      url: "https://github.example/acme/app/pull/1",
      draft: false,
    });
    const branch = `drover/${batchId}/pr`;
    assert.equal(gitIn(bare, "rev-parse", branch), gitIn(git.repo, "rev-parse", branch), "pushed to origin");
    const request = github.requests.find((r) => r.method === "POST");
    assert.equal(request?.path, "/repos/acme/app/pulls");
    const body = request?.body as { title: string; head: string; base: string; draft: boolean; body: string };
    assert.deepEqual(
      [body.title, body.head, body.base, body.draft],
      ["Add the greeting", branch, "main", false],
    );
    assert.match(body.body, /\[\[write greeting\.txt hello\]\]/);

    assert.equal(merge?.status, "failed");
    assert.match(merge?.reason ?? "", /gate red: 1 test failed/);
    assert.equal(merge?.workspace?.delivery?.state, "failed");
    assert.equal(gitIn(git.repo, "rev-parse", "integration"), integrationBefore, "the red merge was undone");
    assert.equal(
      gitIn(git.repo, "show", `drover/${batchId}/merge:merged.txt`),
      "hello",
      "the task keeps its commits",
    );

    const retried = await cli("retry", `${batchId}/merge`, "--deliver", "--json");
    assert.equal(retried.code, 0, retried.err);
    assert.equal((await cli("wait", batchId)).code, 0);
    const second = Listing.parse(JSON.parse((await cli("ls", batchId, "--json")).out));
    const merged = second.tasks.find((task) => task.id === "merge");
    assert.equal(merged?.status, "succeeded");
    assert.equal(merged?.attempts, 2, "one agent attempt, one delivery");
    assert.equal(merged?.workspace?.delivery?.mergeCommit, gitIn(git.repo, "rev-parse", "integration"));
    assert.equal(gitIn(git.repo, "show", "integration:merged.txt"), "hello");
    assert.equal(gitIn(git.repo, "status", "--porcelain"), "", "the main tree stays clean");

    const again = await cli("retry", `${batchId}/pr`, "--deliver");
    assert.equal(again.code, 1);
    assert.match(again.err, /only a task whose delivery failed can be delivered again/);
  });
});
