import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type GitHttpCall, startGitHttpRemote } from "../helpers/git-http-remote.ts";
import { gitIn, isolateGitConfig, makeGitRepo, type TempGitRepo } from "../helpers/git-repo.ts";
import { GitHubAppStandIn } from "../helpers/github-app-stand-in.ts";
import { runDrover } from "../helpers/run-cli.ts";

// A task's agent and its delivery push over HTTPS-style git with the GitHub App token minted for
// the task's repository: the agent's git finds it through its server's home, drover's own push
// through git's environment; neither command line holds it, and it is gone when the task ends.

isolateGitConfig();

const appId = 5150;
const installationId = 90210;

describe("the repository's token for the agent's git and for delivery (real OpenCode, git over HTTP)", () => {
  let git: TempGitRepo;
  let github: GitHubAppStandIn;
  let remote: Awaited<ReturnType<typeof startGitHttpRemote>>;
  const bare = () => path.join(git.dir, "remotes", "acme", "app.git");
  const stateDir = () => path.join(git.dir, "state");
  let run: { code: number | null; out: string; err: string };

  before(async () => {
    git = makeGitRepo({ "README.md": "# demo\n" });
    mkdirSync(path.dirname(bare()), { recursive: true });
    execFileSync("git", ["init", "--quiet", "--bare", bare()]);
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    github = await GitHubAppStandIn.start({ appId, installationId, publicKey: keys.publicKey });
    // Like GitHub: a push needs a live installation token for that very repository.
    remote = await startGitHttpRemote({
      root: path.join(git.dir, "remotes"),
      authorize: (password, repoPath) =>
        repoPath === "/acme/app.git" && github.liveToken(password)?.repositories.includes("app") === true,
    });
    gitIn(git.repo, "remote", "add", "origin", `${remote.url}/acme/app.git`);
    writeFileSync(path.join(git.dir, "app.pem"), keys.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
    });
    writeFileSync(
      path.join(git.dir, "drover.json"),
      JSON.stringify({
        capacity: { ramReserveMb: 0 },
        tokens: { github: { appId, installationId, privateKeyPath: "app.pem", apiBaseUrl: github.url } },
        repos: { repo: { github: { apiUrl: github.url } } },
      }),
    );
    writeFileSync(
      path.join(git.dir, "tasks.yaml"),
      [
        "tasks:",
        "  - id: push",
        "    repo: repo",
        "    deliver: pr",
        '    prompt: "[[write notes.txt pushed by the agent]] [[bash git push origin HEAD:refs/heads/agent-push && echo agent-pushed]] [[reply pushed]]"',
      ].join("\n"),
    );
    const cli = runDrover(["run", "tasks.yaml", "--json", "--state-dir", stateDir()], { cwd: git.dir });
    const code = await cli.exited;
    run = { code, out: cli.stdout(), err: cli.stderr() };
  });
  after(async () => {
    await remote.close();
    await github.close();
    git.cleanup();
  });

  const pushes = (): GitHttpCall[] => remote.calls.filter((call) => call.service === "git-receive-pack");

  it("the agent's git push authenticates with the task's token, found through its server's home", () => {
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    assert.equal(github.mints.length, 1, "one token for the task: the agent's and the delivery's");
    const token = github.mints[0]?.token;
    const branches = gitIn(bare(), "branch", "--list", "--format=%(refname:short)").split("\n");
    assert.ok(branches.includes("agent-push"), `branches on the remote: ${branches.join(", ")}`);
    const authenticated = pushes().filter((call) => call.status === 200);
    assert.ok(authenticated.length >= 2, "the agent's push and the delivery's");
    for (const call of authenticated)
      assert.deepEqual([call.username, call.password], ["x-access-token", token]);
  });

  it("delivers the branch over HTTP with that token and opens the pull request with it", () => {
    const token = github.mints[0]?.token;
    const branches = gitIn(bare(), "branch", "--list", "--format=%(refname:short)").split("\n");
    assert.ok(
      branches.some((branch) => branch.startsWith("drover/")),
      branches.join(", "),
    );
    assert.equal(github.pullRequests[0]?.authorization, `token ${token}`);
    assert.deepEqual(github.revokes, [token], "revoked when the task ended");
  });

  it("leaves no token in the server's home once the task ended, and none in a file of the state dir", () => {
    const token = github.mints[0]?.token ?? "missing";
    const engineRoot = path.join(stateDir(), "engines", "opencode");
    const groupHome = readdirSync(engineRoot).find((name) => /^opencode-home-repo-[0-9a-f]{6}-1$/.test(name));
    assert.ok(groupHome, readdirSync(engineRoot).join(", "));
    const config = path.join(engineRoot, groupHome, "home", ".config");
    assert.equal(existsSync(path.join(config, "drover", "github-token")), false);
    assert.equal(existsSync(path.join(config, "gh", "hosts.yml")), false);
    const gitconfig = readFileSync(path.join(engineRoot, groupHome, "home", ".gitconfig"), "utf8");
    assert.match(gitconfig, new RegExp(`\\[credential "${remote.url}"\\]`));
    assert.ok(!gitconfig.includes(token));
    const grep = spawnSync("grep", ["-rl", "--", token, stateDir()], { encoding: "utf8" });
    assert.equal(grep.status, 1, `no file holds the token: ${grep.stdout}`);
  });
});
