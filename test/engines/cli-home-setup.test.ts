import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CliAgentEngine, type CliDialect } from "../../src/engines/cli/cli-agent-engine.ts";
import type { AttemptRequest } from "../../src/engines/contract.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// A CLI engine's home is set up once, alone, before its first attempts (OpenCode migrates its
// database there; first runs started at once raced on it). Here the "CLI" is sh: its setup makes
// a marker slowly, and an attempt succeeds only when the marker is there.

const setupScript = 'sleep 0.3; echo setup >> "$HOME/setups"; mkdir "$HOME/ready"';
const attemptScript = 'test -d "$HOME/ready" && echo \'{"text":"ran"}\'';

function shDialect(setupArgs: readonly string[]): CliDialect {
  return {
    name: "sh-cli",
    binName: "sh",
    installHint: "",
    providers: [],
    passModel: true,
    setupArgs,
    args: () => ["-c", attemptScript],
    env: () => ({}),
    readLine(line, stream) {
      stream.text((JSON.parse(line) as { text: string }).text);
    },
  };
}

const request = (attemptId: string, dir: string): AttemptRequest =>
  ({
    taskId: attemptId,
    attemptId,
    prompt: "go",
    title: attemptId,
    dir,
    model: "drover/scripted",
    files: [],
    signal: new AbortController().signal,
    onProgress: () => {},
    onSession: () => {},
  }) as unknown as AttemptRequest;

describe("CLI engine: a new home is set up once before its first attempts", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("runs the setup once, alone, and every attempt started at once waits for it", async () => {
    const engine = new CliAgentEngine(shDialect(["-c", setupScript]), {
      stateDir: path.join(temp.dir, "state"),
      env: { PATH: process.env.PATH },
      bin: "/bin/sh",
    });
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((id) => engine.runAttempt(request(id, temp.dir))),
    );
    assert.deepEqual(
      results.map((result) => [result.status, result.finalText]),
      Array.from({ length: 4 }, () => ["succeeded", "ran"]),
    );
    const home = path.join(temp.dir, "state", "engines", "opencode", "sh-cli", "home");
    assert.equal(readFileSync(path.join(home, "setups"), "utf8"), "setup\n", "one setup");
    await engine.stop();
  });

  it("fails the attempts retryably when the setup fails, naming it, and tries it again next time", async () => {
    const engine = new CliAgentEngine(
      shDialect(["-c", 'echo try >> "$HOME/tries"; echo "no disk" >&2; exit 3']),
      {
        stateDir: path.join(temp.dir, "state-failing"),
        env: { PATH: process.env.PATH },
        bin: "/bin/sh",
      },
    );
    const first = await engine.runAttempt(request("x", temp.dir));
    assert.equal(first.status, "failed");
    assert.equal(first.failure?.retryable, true);
    assert.match(first.failure?.message ?? "", /sh -c .* \(setting up its home\) ended: no disk/);
    await engine.runAttempt(request("y", temp.dir));
    const home = path.join(temp.dir, "state-failing", "engines", "opencode", "sh-cli", "home");
    assert.equal(readFileSync(path.join(home, "tries"), "utf8"), "try\ntry\n", "tried again");
    await engine.stop();
  });
});
