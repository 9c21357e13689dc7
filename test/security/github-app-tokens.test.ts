import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createTaskWorkspaces } from "../../src/app-workspaces.ts";
import { loadConfig } from "../../src/config/load.ts";
import { defaultTokenPermissions } from "../../src/config/token-settings.ts";
import { systemClock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { type DroverEventBody, EventBus } from "../../src/core/events.ts";
import { GithubAppTokens } from "../../src/security/github-app-tokens.ts";
import { GitHubAppStandIn } from "../helpers/github-app-stand-in.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The GitHub App token flow against a local stand-in of the GitHub API that checks the app's JWT
// with the app's PUBLIC key: a token per task and repository, limited to that repository and the
// listed permissions, revoked when released; audit events that never hold a token.

const appId = 4242;
const installationId = 777;
const task = { batchId: "b1", taskId: "t1" };
const repository = { owner: "acme", name: "app" };

describe("GitHub App installation tokens", () => {
  let keys: { privateKey: KeyObject; publicKey: KeyObject };
  let github: GitHubAppStandIn;
  let now = Date.UTC(2030, 0, 1, 12, 0, 0);
  before(async () => {
    keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    github = await GitHubAppStandIn.start({
      appId,
      installationId,
      publicKey: keys.publicKey,
      now: () => now,
    });
  });
  after(() => github.close());

  const tokensWith = (privateKey: KeyObject = keys.privateKey) => {
    const events: DroverEventBody[] = [];
    const tokens = new GithubAppTokens({
      app: {
        appId,
        privateKey,
        installationId,
        permissions: { ...defaultTokenPermissions },
        apiBaseUrl: github.url,
      },
      now: () => now,
      report: (event) => events.push(event),
    });
    return { tokens, events };
  };

  it("mints one token per task and repository, limited to it, with a JWT the app's public key verifies", async () => {
    const { tokens, events } = tokensWith();
    const first = await tokens.tokenFor(task, repository);
    assert.ok(first.ok, !first.ok ? first.message : "");
    const minted = github.mints.at(-1);
    assert.equal(minted?.token, first.token);
    assert.deepEqual(minted?.repositories, ["app"], "limited to the one repository, by name");
    assert.deepEqual(minted?.permissions, { contents: "write", pull_requests: "write", issues: "write" });
    const iat = Math.floor(now / 1000) - 60;
    assert.deepEqual(minted?.claims, { iss: String(appId), iat, exp: iat + 600 });

    const again = await tokens.tokenFor(task, repository);
    assert.equal(again.ok && again.token, first.token, "the same task and repository share one token");
    const other = await tokens.tokenFor({ batchId: "b1", taskId: "t2" }, repository);
    assert.ok(other.ok && other.token !== first.token, "another task gets its own");
    assert.equal(github.mints.length, 2);

    await tokens.release(task);
    assert.deepEqual(github.revokes, [first.token], "revoked with DELETE /installation/token");
    const refused = await fetch(`${github.url}/repos/acme/app/pulls`, {
      method: "POST",
      headers: { authorization: `token ${first.token}` },
      body: JSON.stringify({ title: "x", head: "h", base: "main" }),
    });
    assert.equal(refused.status, 401, "a revoked token opens nothing");
    await tokens.close();
    assert.deepEqual(github.revokes, [first.token, other.ok ? other.token : ""], "close revokes the rest");

    assert.deepEqual(
      events.map((event) => event.type === "token" && [event.taskId, event.action, event.repository]),
      [
        ["t1", "minted", "acme/app"],
        ["t2", "minted", "acme/app"],
        ["t1", "revoked", "acme/app"],
        ["t2", "revoked", "acme/app"],
      ],
    );
    const minting = events[0];
    assert.equal(minting?.type === "token" && minting.expiresAt, now + 3_600_000);
    assert.deepEqual(minting?.type === "token" && minting.permissions, minted?.permissions);
    for (const token of github.mints.map((m) => m.token))
      assert.ok(!JSON.stringify(events).includes(token), "no event holds a token");
  });

  it("replaces a token close to its expiry and revokes the old one", async () => {
    const { tokens } = tokensWith();
    const first = await tokens.tokenFor(task, repository);
    now += 56 * 60_000;
    const second = await tokens.tokenFor(task, repository);
    assert.ok(first.ok && second.ok && first.token !== second.token);
    assert.equal(github.revokes.at(-1), first.token);
    await tokens.close();
    assert.equal(github.revokes.at(-1), second.token);
  });

  it("reports a refused mint as a failed event: a foreign key, or a repository outside the installation", async () => {
    const foreign = tokensWith(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    const denied = await foreign.tokens.tokenFor(task, repository);
    assert.equal(denied.ok, false);
    assert.match(!denied.ok ? denied.message : "", /acme\/app.*401.*signature does not match/);
    assert.match(github.refused.at(-1) ?? "", /signature/);

    const { tokens, events } = tokensWith();
    github.failNextMint(422);
    const outside = await tokens.tokenFor(task, { owner: "acme", name: "elsewhere" });
    assert.match(!outside.ok ? outside.message : "", /acme\/elsewhere.*422/);
    assert.deepEqual(
      events.map((event) => event.type === "token" && [event.action, event.repository]),
      [["failed", "acme/elsewhere"]],
    );
    await tokens.close();
  });
});

describe("tokens config", () => {
  const temp = makeTempDir("drover-tokens-");
  after(() => temp.cleanup());
  const keyFile = path.join(temp.dir, "app.pem");
  writeFileSync(
    keyFile,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
  );
  const load = (tokens: unknown) => {
    writeFileSync(path.join(temp.dir, "drover.json"), JSON.stringify({ tokens }));
    return loadConfig({ cwd: temp.dir, env: {} });
  };
  const github = { appId, privateKeyPath: "app.pem", installationId };

  it("refuses a private key others may read, naming the file", () => {
    chmodSync(keyFile, 0o644);
    assert.throws(
      () => load({ github }),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "bad_config" &&
        error.issues[0]?.path === "tokens.github.privateKeyPath" &&
        error.message.includes(keyFile) &&
        /mode 0644.*chmod 600/.test(error.message),
    );
    chmodSync(keyFile, 0o600);
    const loaded = load({ github });
    assert.deepEqual(loaded.config.tokens.github?.permissions, defaultTokenPermissions);
    assert.throws(() => load({ mode: "app" }), /mode "app" needs tokens\.github/);
  });

  it("warns on every run in delegated mode, and not without it", async () => {
    const warnings = async (tokens: unknown, env: NodeJS.ProcessEnv) => {
      const events: DroverEventBody[] = [];
      const made = createTaskWorkspaces({
        loaded: load(tokens),
        env,
        clock: systemClock,
        bus: new EventBus(),
        report: (event) => events.push(event),
      });
      await made.close();
      return events.flatMap((event) => (event.type === "warning" ? [event.code] : []));
    };
    assert.deepEqual(await warnings({ mode: "delegated" }, { GITHUB_TOKEN: "ghp_user" }), [
      "delegated_token",
    ]);
    assert.deepEqual(await warnings({}, { GITHUB_TOKEN: "ghp_user" }), []);
    assert.deepEqual(await warnings({ github }, {}), []);
  });
});
