import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import { type DroverState, openState } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { addAgentRoutes } from "../../src/server/agent-routes.ts";
import { errorResponse } from "../../src/server/http-errors.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// Fake keys, joined at run time so this file holds no key shape.
const githubToken = ["ghp", "_FAKEabcdefghijklmnopqrstuvwxyz012345"].join("");
const signingKey = ["SIGNING_KEY=", "9f8a7c6e5d4b3a29182736450a1b2c3d"].join("");

describe("secrets refused when runners, mail and memory accept them (the CLI: exit 2)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
    return { code: await run.exited, out: run.stdout(), err: run.stderr() };
  };
  before(async () => {
    temp = makeTempDir();
    assert.equal((await drover("runner", "create", "ops", "--no-check")).code, 0);
  });
  after(() => temp.cleanup());

  it("runner instructions: names the file, the field and the kind, never the value", async () => {
    const file = path.join(temp.dir, "AGENTS.md");
    writeFileSync(file, `# Deploys\nPush with ${githubToken}.\n`);
    const created = await drover("runner", "create", "deployer", "--instructions", "AGENTS.md", "--no-check");
    assert.equal(created.code, 2, created.err);
    assert.match(created.err, new RegExp(`${file.replaceAll("/", "\\/")} instructions: .*GitHub token`));
    assert.match(created.err, /--allow-secrets/);
    assert.ok(!created.err.includes(githubToken) && !created.out.includes(githubToken));
    const edited = await drover("runner", "edit", "ops", "--instructions", "AGENTS.md", "--no-check");
    assert.equal(edited.code, 2, edited.err);
    assert.match(edited.err, /instructions: .*GitHub token/);
    const allowed = await drover(
      "runner",
      "create",
      "deployer",
      "--instructions",
      "AGENTS.md",
      "--no-check",
      "--allow-secrets",
    );
    assert.equal(allowed.code, 0, allowed.err);
  });

  it("mail payloads: names the field and the kind", async () => {
    const sent = await drover(
      "mail",
      "send",
      "--to",
      "ops",
      "--type",
      "request",
      "--payload",
      `use ${signingKey}`,
    );
    assert.equal(sent.code, 2, sent.err);
    assert.match(sent.err, /mail to "ops" payload: the message .*high-entropy string in credential context/);
    assert.ok(!sent.err.includes(signingKey));
    const allowed = await drover(
      "mail",
      "send",
      "--to",
      "ops",
      "--type",
      "request",
      "--payload",
      `use ${signingKey}`,
      "--allow-secrets",
    );
    assert.equal(allowed.code, 0, allowed.err);
  });

  it("memory: names the field (content or tag) and the kind", async () => {
    const stored = await drover(
      "memory",
      "store",
      "--namespace",
      "ops",
      "--content",
      "deploys",
      "--tags",
      `x,${githubToken}`,
    );
    assert.equal(stored.code, 2, stored.err);
    assert.match(stored.err, /memory "ops" tags\[1\]: .*GitHub token/);
    assert.ok(!stored.err.includes(githubToken));
    const content = await drover(
      "memory",
      "store",
      "--namespace",
      "ops",
      "--content",
      `token ${githubToken}`,
    );
    assert.equal(content.code, 2);
    assert.match(
      content.err,
      /memory "ops" content: the memory looks like it contains a secret \(GitHub token\)/,
    );
  });
});

describe("secrets refused by the API's runner, mail and memory routes (HTTP 400)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let state: DroverState;
  const app = new Hono();
  before(() => {
    temp = makeTempDir();
    state = openState({
      loaded: loadConfig({ cwd: temp.dir, env: {}, flags: { stateDir: path.join(temp.dir, "state") } }),
    });
    app.onError((error, c) => errorResponse(c, error));
    addAgentRoutes(app, { runners: state.runners, memory: state.memory, mailbox: state.mailbox });
    state.runners.create({ name: "ops" });
  });
  after(async () => {
    await state.close();
    temp.cleanup();
  });
  const post = async (route: string, body: unknown) => {
    const response = await app.request(route, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: JSON.parse(text) as { error?: { issues: { path: string }[] } },
    };
  };

  it("names the field and the kind in the issues, never the value; allowSecrets lets it through", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["/v1/runners", { name: "rev", instructions: `Use ${githubToken}` }, "instructions"],
      ["/v1/runners", { name: "rev2", description: signingKey }, "description"],
      ["/v1/mail", { to: "ops", type: "request", payload: signingKey, externalSender: true }, "payload"],
      ["/v1/memory", { namespace: "ops", content: `remember ${githubToken}` }, "content"],
    ];
    for (const [route, body, field] of cases) {
      const refused = await post(route, body);
      assert.equal(refused.status, 400, route);
      assert.deepEqual(
        refused.body.error?.issues.map((issue) => issue.path),
        [field],
      );
      assert.match(
        refused.text,
        /looks like it contains a secret \((GitHub token|high-entropy string in credential context)\)/,
      );
      assert.ok(!refused.text.includes(githubToken) && !refused.text.includes(signingKey), route);
      assert.equal((await post(route, { ...body, allowSecrets: true })).status, 201, route);
    }
  });

  it("skips an agent file holding a secret when importing, saying why", () => {
    const dir = path.join(temp.dir, "project");
    mkdirSync(path.join(dir, ".opencode", "agents"), { recursive: true });
    writeFileSync(
      path.join(dir, ".opencode", "agents", "leaky.md"),
      `---\ndescription: leaks\n---\nAlways push with ${githubToken}\n`,
    );
    const result = state.runners.importAgents(dir);
    assert.deepEqual(result.imported, []);
    assert.match(result.skipped[0]?.reason ?? "", /looks like it contains a secret \(GitHub token\)/);
  });
});
