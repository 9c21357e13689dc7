import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("unknown agents and models are caught up front (the CLI, real OpenCode)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });

  it("drover run --agent with an unknown agent exits 2 naming it and the agents that exist; nothing runs", async () => {
    const run = await drover("run", "-p", "[[write never.txt ran]]", "--agent", "reveiwer");
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /-p tasks\[0\]\.agent: unknown agent "reveiwer" in .* \(agents there: build, .*plan\)/,
    );
    assert.equal(existsSync(path.join(temp.dir, "never.txt")), false);
    assert.equal(existsSync(path.join(temp.dir, "results.json")), false);
  });

  it("runner create checks --model and --agent with OpenCode (exit 2, both named) and creates nothing", async () => {
    const dir = path.join(temp.dir, "app");
    mkdirSync(dir);
    const create = await drover(
      "runner",
      "create",
      "reviewer",
      "--dir",
      dir,
      "--model",
      "drover/scripted-xl",
      "--agent",
      "planner",
    );
    assert.equal(create.code, 2, create.stderr);
    assert.match(create.stderr, /runner reviewer --model: unknown model "drover\/scripted-xl"/);
    assert.match(
      create.stderr,
      /runner reviewer --agent: unknown agent "planner" in .*app \(agents there: build/,
    );
    assert.equal((await drover("runner", "status", "reviewer")).code, 1, "no runner was created");
    assert.equal(existsSync(path.join(dir, ".opencode")), false, "no agent file was written");
  });

  it("runner run checks the runner's model and agent before the run starts (exit 2, no run recorded)", async () => {
    const created = await drover(
      "runner",
      "create",
      "sloppy",
      "--model",
      "drover/nope",
      "--agent",
      "nobody",
      "--no-check",
    );
    assert.equal(created.code, 0, created.stderr);
    const run = await drover("runner", "run", "sloppy", "[[write never.txt ran]]");
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /runner sloppy model: unknown model "drover\/nope"/);
    assert.match(run.stderr, /runner sloppy agent: unknown agent "nobody"/);
    const status = await drover("runner", "status", "sloppy", "--json");
    assert.equal(JSON.parse(status.stdout).runCount, 0);
    assert.equal(existsSync(path.join(temp.dir, "never.txt")), false);
  });
});
