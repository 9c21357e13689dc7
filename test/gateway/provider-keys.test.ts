import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type ScriptedModelServer, startScriptedModel } from "../../src/mock-model/server.ts";
import { batchIdIn, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { startUpstreamStandIn, type UpstreamStandIn } from "./upstream-stand-in.ts";

const plantedKey = "sk-planted-7Qm2xV9rL4kT8wZ1nB6cY3";
const plantedBuiltIn = "sk-ant-planted-5Hd8pQ2sW7eR1tY9uI4o";
const showEnv = "[[bash env; echo ----; cat /proc/$PPID/environ | tr '\\0' '\\n']]";

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).flatMap((entry) => {
    const file = path.join(dir, entry);
    try {
      if (!statSync(file).isFile()) return [];
      return readFileSync(file).includes(needle) ? [file] : [];
    } catch {
      return []; // gone meanwhile, or a socket
    }
  });
}

describe("provider keys never enter a worker (real OpenCode, through the model gateway)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  let scripted: ScriptedModelServer;
  let provider: UpstreamStandIn;
  let run: { code: number | null; out: string; err: string };
  /** The model requests "someprovider" got (drover's pre-batch reachability probe aside). */
  const chats = () => provider.received.filter((request) => request.url.endsWith("/chat/completions"));

  before(async () => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    scripted = await startScriptedModel();
    // "someprovider": accepts only the real key, then lets the scripted model answer.
    provider = await startUpstreamStandIn((request, res) => {
      if (request.headers.authorization !== `Bearer ${plantedKey}`) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"error":{"message":"wrong key","type":"authentication_error"}}');
        return;
      }
      const headers = { ...request.headers, host: `127.0.0.1:${scripted.port}` };
      const forwarded = http.request(
        `${scripted.url}${request.url}`,
        { method: request.method, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on("error", () => res.destroy());
      forwarded.end(request.body);
    });
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        model: "someprovider/scripted",
        capacity: { ramReserveMb: 0 },
        stagger: { gapMs: 0 },
        opencode: {
          // Even a user who lets every *_API_KEY through gets none of the keys the gateway holds.
          envPassthrough: ["PATH", "LANG", "LC_*", "TZ", "TMPDIR", "*_API_KEY"],
          provider: {
            someprovider: {
              npm: "@ai-sdk/openai-compatible",
              options: { baseURL: `${provider.url}/v1`, apiKey: "{env:SOMEPROVIDER_API_KEY}" },
              models: { scripted: { tool_call: true, limit: { context: 200000, output: 8192 } } },
            },
          },
        },
      }),
    );
    const cli = runDrover(
      ["run", "-p", `${showEnv} [[reply looked around]]`, "--json", "--state-dir", stateDir],
      {
        cwd: temp.dir,
        env: { SOMEPROVIDER_API_KEY: plantedKey, ANTHROPIC_API_KEY: plantedBuiltIn },
      },
    );
    const code = await cli.exited;
    run = { code, out: cli.stdout(), err: cli.stderr() };
  });
  after(async () => {
    await provider.close();
    await scripted.close();
    temp.cleanup();
  });

  it("the task succeeds through the gateway, and the provider sees the real key on every request", () => {
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    assert.ok(chats().length >= 2, "the tool call and the answer after it");
    for (const request of chats()) {
      assert.equal(request.headers.authorization, `Bearer ${plantedKey}`);
    }
    const usage = readFileSync(path.join(stateDir, "model-gateway.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { provider: string; server: string; status: number });
    const through = usage.filter((record) => record.provider === "someprovider");
    assert.equal(through.length, chats().length, "every model request went through the gateway");
    assert.ok(through.every((record) => record.status === 200 && record.server.startsWith("opencode-")));
  });

  it("the agent's env and /proc/$PPID/environ hold no provider key, and its config no key either", () => {
    // What the model received as the tool's output, before any redaction of drover's.
    const toolOutputs = chats().flatMap((request) => {
      const body = JSON.parse(request.body) as { messages: { role: string; content: unknown }[] };
      return body.messages.filter((m) => m.role === "tool").map((m) => JSON.stringify(m.content));
    });
    const output = toolOutputs.join("\n");
    assert.match(output, /DROVER_SERVER_ID=/, "env ran");
    assert.match(output, /----[\s\S]*OPENCODE_CONFIG_CONTENT=/, "and so did cat /proc/$PPID/environ");
    for (const secret of [plantedKey, plantedBuiltIn, "SOMEPROVIDER_API_KEY", "ANTHROPIC_API_KEY"]) {
      assert.ok(!output.includes(secret), `the agent saw ${secret}`);
    }
    assert.match(
      output,
      /\{file:~\/\.config\/drover\/model-credential\}/,
      "the config names the credential file",
    );
    assert.ok(!/\{env:/.test(output), "no {env:} reference left for the server to resolve");
  });

  it("neither the transcript nor any file drover or OpenCode wrote holds a key", async () => {
    const batchId = batchIdIn(run.out);
    assert.ok(batchId);
    const transcript = runDrover(["transcript", `${batchId}/p1`, "--json", "--state-dir", stateDir], {
      cwd: temp.dir,
    });
    assert.equal(await transcript.exited, 0, transcript.stderr());
    assert.match(transcript.stdout(), /DROVER_SERVER_ID=/);
    for (const secret of [plantedKey, plantedBuiltIn, "SOMEPROVIDER_API_KEY", "ANTHROPIC_API_KEY"]) {
      assert.ok(!transcript.stdout().includes(secret), `the transcript shows ${secret}`);
    }
    // The state dir holds drover's database and logs and every server's home: OpenCode's own
    // database, logs and config included.
    assert.deepEqual(filesContaining(stateDir, plantedKey), []);
    assert.deepEqual(filesContaining(stateDir, plantedBuiltIn), []);
  });
});
