import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { defaultTokenPermissions } from "../../src/config/token-settings.ts";
import { gitIn, isolateGitConfig, makeGitRepo, type TempGitRepo } from "../helpers/git-repo.ts";
import { GitHubAppStandIn } from "../helpers/github-app-stand-in.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";

// `deliver: pr` with a GitHub App, through `drover run` with the real OpenCode and the scripted
// model: the pull request is opened with a token minted for the task's repository alone, the token
// is revoked when the task ends, and no event, log, results file or database row holds it.

isolateGitConfig();

const appId = 31337;
const installationId = 4711;

const TokenEvent = z.object({
  type: z.literal("token"),
  batchId: z.string(),
  taskId: z.string(),
  action: z.string(),
  repository: z.string(),
  permissions: z.record(z.string(), z.string()),
});

describe("deliver: pr with GitHub App tokens (drover run)", () => {
  let git: TempGitRepo;
  let github: GitHubAppStandIn;
  const stateDir = () => path.join(git.dir, "state");

  before(async () => {
    git = makeGitRepo({ "README.md": "# demo\n" });
    const bare = path.join(git.dir, "origin.git");
    execFileSync("git", ["init", "--quiet", "--bare", bare]);
    gitIn(git.repo, "remote", "add", "origin", bare);
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    github = await GitHubAppStandIn.start({ appId, installationId, publicKey: keys.publicKey });
    const pem = keys.privateKey.export({ type: "pkcs8", format: "pem" });
    writeFileSync(path.join(git.dir, "app.pem"), pem, { mode: 0o600 });
    writeFileSync(path.join(git.dir, "loose.pem"), pem);
    chmodSync(path.join(git.dir, "loose.pem"), 0o644);
    const config = (privateKeyPath: string) =>
      JSON.stringify({
        tokens: { github: { appId, installationId, privateKeyPath, apiBaseUrl: github.url } },
        repos: { repo: { github: { apiUrl: github.url, repo: "acme/app" } } },
      });
    writeFileSync(path.join(git.dir, "drover.json"), config("app.pem"));
    writeFileSync(path.join(git.dir, "loose.json"), config("loose.pem"));
    writeFileSync(
      path.join(git.dir, "tasks.yaml"),
      [
        "tasks:",
        "  - id: pr",
        "    repo: repo",
        "    deliver: pr",
        "    title: Add the greeting",
        '    prompt: "[[write greeting.txt hello]]"',
      ].join("\n"),
    );
  });
  after(async () => {
    await github.close();
    git.cleanup();
  });

  it("opens the pull request with a token minted for the repository, revoked when the task ends", async () => {
    // GITHUB_TOKEN is set, but without `tokens.mode: delegated` it is never used.
    const run = runDrover(["run", "tasks.yaml", "--json", "--state-dir", stateDir()], {
      cwd: git.dir,
      env: { GITHUB_TOKEN: "ghp_usersOwnTokenMustNotBeUsed0123456789" },
    });
    const code = await run.exited;
    assert.deepEqual(processesOwnedBy(path.join(stateDir(), "engines", "opencode")), []);
    assert.equal(code, 0, `${run.stderr()}\n${run.stdout()}`);

    assert.equal(github.mints.length, 1);
    const minted = github.mints[0];
    assert.deepEqual(minted?.repositories, ["app"]);
    assert.deepEqual(minted?.permissions, defaultTokenPermissions);
    assert.equal(minted?.claims.iss, String(appId));
    const [pull] = github.pullRequests;
    assert.equal(pull?.path, "/repos/acme/app/pulls");
    assert.equal(
      pull?.authorization,
      `token ${minted?.token}`,
      "the pull request is opened with the minted token",
    );
    assert.deepEqual(github.revokes, [minted?.token], "revoked once the task ended");

    // The revoke follows the task's end, after `drover run` stopped printing: read the stored events.
    const batchId = /"batchId":"([^"]+)"/.exec(run.stdout())?.[1] ?? "";
    const logs = runDrover(["logs", batchId, "--json", "--state-dir", stateDir()], { cwd: git.dir });
    assert.equal(await logs.exited, 0, logs.stderr());
    const audit = logs
      .stdout()
      .split("\n")
      .flatMap((line) => {
        const parsed = line.startsWith("{") ? TokenEvent.safeParse(JSON.parse(line)) : undefined;
        return parsed?.success ? [parsed.data] : [];
      });
    assert.deepEqual(
      audit.map((event) => [event.taskId, event.action, event.repository, event.permissions]),
      [
        ["pr", "minted", "acme/app", defaultTokenPermissions],
        ["pr", "revoked", "acme/app", defaultTokenPermissions],
      ],
    );
    const results = readFileSync(path.join(git.dir, "results.json"), "utf8");
    assert.match(results, /https:\/\/github\.example\/acme\/app\/pull\/1/);

    const token = minted?.token ?? "missing";
    const holders = filesUnder(stateDir()).filter((file) => readFileSync(file).includes(token));
    assert.deepEqual(holders, [], "no file in the state dir (database, logs) holds the token");
    for (const [name, text] of [
      ["stdout", run.stdout()],
      ["drover logs", logs.stdout()],
      ["stderr", run.stderr()],
      ["results.json", results],
    ])
      assert.ok(!text?.includes(token), `${name} does not hold the token`);
  });

  it("refuses a private key others may read: exit 2 naming the file, nothing minted", async () => {
    const mints = github.mints.length;
    const run = runDrover(["run", "tasks.yaml", "--config", "loose.json", "--state-dir", stateDir()], {
      cwd: git.dir,
    });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /tokens\.github\.privateKeyPath/);
    assert.ok(run.stderr().includes(path.join(git.dir, "loose.pem")), run.stderr());
    assert.match(run.stderr(), /mode 0644/);
    assert.equal(github.mints.length, mints);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() && statSync(full).size < 64 * 1024 * 1024 ? [full] : [];
  });
}
