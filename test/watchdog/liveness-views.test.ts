import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { Store } from "../../src/store/store.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// `drover ls`, `show` and `status` show a running task's liveness, since when and why, and the
// watchdog's actions, read from the state dir (no daemon).

describe("liveness in the views", () => {
  const temp = makeTempDir();
  const stateDir = path.join(temp.dir, "state");
  const key = { batchId: "bat_views", taskId: "build" };
  const run = async (args: string[]) => {
    const cli = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await cli.exited, 0, cli.stderr());
    return cli.stdout();
  };

  before(() => {
    mkdirSync(stateDir, { recursive: true });
    const store = new Store({
      file: path.join(stateDir, "drover.db"),
      bus: new EventBus(),
      clock: systemClock,
    });
    const spec = {
      id: "build",
      prompt: "build it",
      title: "build",
      dir: temp.dir,
      model: "drover/scripted",
      files: [],
      timeoutMs: 60_000,
      dependsOn: [],
    };
    store.createBatch(key.batchId, "test", [spec]);
    store.transitionTask(key, "ready");
    store.transitionTask(key, "running");
    const now = Date.now();
    store.recordEvent({
      type: "watchdog.action",
      ...key,
      attemptId: "att_1",
      state: "stalled",
      remedy: "continue",
      message: "the model's stream went silent 3m00s ago",
      evidence: { lastByteAt: now - 180_000 },
    });
    store.recordEvent({
      type: "attempt.progress",
      ...key,
      attemptId: "att_2",
      liveness: "in_tool",
      tool: "bash",
      tokens: { input: 1, output: 1, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      since: now - 125_000,
      evidence: { tool: "bash", toolOutputBytes: 3_300, toolOutputAt: now - 4_000, toolCpuMs: 1_200 },
    });
    store.close();
  });
  after(() => temp.cleanup());

  it("drover ls shows the liveness with its evidence, and the watchdog's actions (text and --json)", async () => {
    const text = await run(["ls", key.batchId]);
    assert.match(text, /in_tool bash for 2m\d\ds \(output 3\.2 KB, last [\d.]+s ago, CPU 1\.2s\)/);
    assert.match(text, /watchdog: stalled → continue/);
    const json = JSON.parse(await run(["ls", key.batchId, "--json"])) as {
      tasks: { liveness?: { state: string; since?: number }; watchdog?: { remedy: string }[] }[];
    };
    assert.equal(json.tasks[0]?.liveness?.state, "in_tool");
    assert.equal(typeof json.tasks[0]?.liveness?.since, "number");
    assert.deepEqual(
      json.tasks[0]?.watchdog?.map((a) => a.remedy),
      ["continue"],
    );
  });

  it("drover show says what the task is doing and the watchdog's actions", async () => {
    const text = await run(["show", `${key.batchId}/${key.taskId}`]);
    assert.match(text, /doing:\s+in_tool bash for 2m/);
    assert.match(text, /watchdog:\n\s+\d\d:\d\d:\d\d stalled → continue: the model's stream went silent/);
  });

  it("drover status lists each running task with its liveness", async () => {
    const text = await run(["status"]);
    assert.match(text, /\n\s+build\s+in_tool bash for 2m.*watchdog: stalled → continue/);
  });
});
