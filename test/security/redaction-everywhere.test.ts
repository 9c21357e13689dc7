import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/**
 * Every file under `dir`, except OpenCode's own home trees (`engines/opencode/<server>/home`): that
 * is the engine's session store, the conversation as the model saw it, which drover does not write
 * (docs/security.md says what it holds). Everything drover writes is searched: its database (and
 * WAL), logs, registries, the scripted model's log.
 */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === "home" && full.includes(`${path.sep}engines${path.sep}`) ? [] : filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

// Values with no recognisable shape: only the registry of known secrets can catch them.
const providerKey = `pk${randomBytes(20).toString("hex")}`;
const githubToken = `gt${randomBytes(20).toString("hex")}`;
// A shaped key a tool prints; the prompt writes it in two halves so intake lets the prompt through.
const keyHead = "sk-ant-api03-";
const keyTail = `Plant${randomBytes(16).toString("hex")}`;
const toolKey = `${keyHead}${keyTail}`;
const planted = { providerKey, githubToken, toolKey };

describe("no planted secret in the state dir, logs or results after a real run", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  const env = { MYLLM_API_KEY: providerKey, GH_TOKEN: githubToken };
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir, env });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  let outputs: Record<string, string> = {};
  let batchId = "";

  before(async () => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    // A configured provider whose key drover reads from its environment (unused by the tasks).
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        opencode: {
          provider: {
            myllm: {
              npm: "@ai-sdk/openai-compatible",
              options: { baseURL: "http://127.0.0.1:9/v1", apiKey: "{env:MYLLM_API_KEY}" },
              models: { m: {} },
            },
          },
        },
      }),
    );
    // The model answers with known secret values: the directive comes in an attached file, which
    // intake does not scan, so the prompt and the task file hold none of them.
    writeFileSync(
      path.join(temp.dir, "answer.txt"),
      `[[reply the provider key is ${providerKey} and the GitHub token ${githubToken}]]\n`,
    );
    writeFileSync(
      path.join(temp.dir, "tasks.json"),
      JSON.stringify({
        tasks: [
          { id: "echo", prompt: "Answer as the attached file says.", files: ["answer.txt"] },
          {
            id: "leaky-tool",
            prompt: `[[bash echo "deploy key ${keyHead}""${keyTail}"; echo "provider $MYLLM_API_KEY"; exit 3]] [[reply the tool failed]]`,
          },
        ],
      }),
    );
    const run = await drover("run", "tasks.json", "--json");
    assert.equal(run.code, 0, run.err);
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
      batch: { id: string };
    };
    batchId = results.batch.id;
    outputs = {
      "run --json": run.out + run.err,
      "results.json": readFileSync(path.join(temp.dir, "results.json"), "utf8"),
      "logs --json": (await drover("logs", batchId, "--json")).out,
      "ls --json": (await drover("ls", batchId, "--json")).out,
      "show echo --json": (await drover("show", `${batchId}/echo`, "--json")).out,
      "show leaky-tool --json": (await drover("show", `${batchId}/leaky-tool`, "--json")).out,
      "transcript leaky-tool --json": (await drover("transcript", `${batchId}/leaky-tool`, "--json")).out,
    };
  });
  after(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });

  it("the secrets did flow: the answer and the tool's output arrive redacted", () => {
    const results = JSON.parse(outputs["results.json"] ?? "{}") as {
      tasks: { id: string; status: string; outcome?: { summary: string } }[];
    };
    const echo = results.tasks.find((task) => task.id === "echo");
    assert.equal(echo?.status, "succeeded");
    assert.match(
      echo?.outcome?.summary ?? "",
      /the provider key is \[redacted\] and the GitHub token \[redacted\]/,
    );
    assert.match(outputs["transcript leaky-tool --json"] ?? "", /deploy key \[redacted\]/);
  });

  it("no command's output holds a planted value", () => {
    for (const [name, text] of Object.entries(outputs)) {
      assert.ok(text.length > 0, `${name} printed nothing`);
      for (const [what, value] of Object.entries(planted))
        assert.ok(!text.includes(value), `${name} holds the ${what}`);
    }
  });

  it("no file drover wrote holds a planted value: the database, its WAL, logs, registries", () => {
    const files = filesUnder(stateDir);
    assert.ok(files.some((file) => path.basename(file) === "drover.db"));
    assert.ok(
      files.some((file) => file.endsWith(".log")),
      "the servers' logs are searched too",
    );
    const leaks: string[] = [];
    for (const file of files) {
      if (statSync(file).size === 0) continue;
      const bytes = readFileSync(file);
      for (const [what, value] of Object.entries(planted))
        if (bytes.includes(value)) leaks.push(`${path.relative(stateDir, file)}: ${what}`);
    }
    assert.deepEqual(leaks, []);
  });
});
