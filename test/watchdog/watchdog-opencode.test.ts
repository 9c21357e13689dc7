import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DroverEvent } from "../../src/core/events.ts";
import type { BatchResults } from "../../src/supervisor/batch-results.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";
import { processesRunning, uniqueSleepSeconds } from "../helpers/processes.ts";

// The watchdog with real OpenCode and the scripted model: each stuck state is detected and
// remedied, and slow-but-alive work (a steady stream, a tool that prints or computes) is left alone.

type WatchdogEvent = Extract<DroverEvent, { type: "watchdog.action" }>;
const actionsOf = (h: EngineHarness, taskId: string) =>
  h.events.filter((e): e is WatchdogEvent => e.type === "watchdog.action" && e.taskId === taskId);
const stateOf = (results: BatchResults, taskId: string) =>
  results.tasks.find((task) => task.id === taskId)?.status;

describe("watchdog (real OpenCode, scripted model)", () => {
  const sleepFor = uniqueSleepSeconds(86_400);
  let h: EngineHarness;
  let results: BatchResults;
  before(async () => {
    h = await startHarness({
      "capacity.maxWorkers": 8,
      taskTimeout: "90s",
      "watchdog.toolIdle": "4s",
      "watchdog.stallAfter": "4s",
      "watchdog.firstByte": "4s",
      "watchdog.thrashSteps": 4,
      "retry.maxAttempts": 2,
    });
    results = await h.run([
      h.task("hung-tool", `[[hang-tool ${sleepFor}]] [[reply carried on]]`),
      h.task(
        "printing-tool",
        "[[bash for i in $(seq 1 40); do echo tick $i; sleep 0.25; done]] [[reply printed]]",
      ),
      h.task(
        "computing-tool",
        "[[bash timeout 9 sh -c 'while :; do :; done'; echo computed]] [[reply computed]]",
      ),
      h.task(
        "stalled-stream",
        "[[stall times=1]] [[reply a long answer that stops half way and comes back]]",
      ),
      h.task("steady-stream", "[[slow 300]] [[words 30]]"),
      h.task("silent-model", "[[hang]] [[reply never]]"),
      h.task("thrashing", `${"[[bash true]] ".repeat(10)}[[reply went round]]`),
    ]);
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("kills a tool whose background child holds its output open, names the command, and the session goes on", () => {
    const [action, ...more] = actionsOf(h, "hung-tool");
    assert.equal(more.length, 0, "one action for one hung call");
    assert.equal(action?.state, "tool_hung");
    assert.equal(action?.remedy, "kill_tool");
    assert.ok(String(action?.evidence.command).includes(`sleep ${sleepFor} &`));
    assert.match(action?.message ?? "", /no output for .*no CPU/);
    assert.equal(stateOf(results, "hung-tool"), "succeeded");
    assert.deepEqual(
      processesRunning(["sleep", sleepFor]),
      [],
      "the background child was killed with its group",
    );
  });

  it("leaves alone a slow tool that keeps printing, and one that keeps computing", () => {
    assert.deepEqual(actionsOf(h, "printing-tool"), []);
    assert.deepEqual(actionsOf(h, "computing-tool"), []);
    assert.equal(stateOf(results, "printing-tool"), "succeeded");
    assert.equal(stateOf(results, "computing-tool"), "succeeded");
  });

  it("continues a stalled stream in the same session", () => {
    const actions = actionsOf(h, "stalled-stream");
    assert.deepEqual(
      actions.map((a) => [a.state, a.remedy]),
      [["stalled", "continue"]],
    );
    const started = h.events.filter((e) => e.type === "attempt.started" && e.taskId === "stalled-stream");
    assert.deepEqual(
      started.map((e) => e.type === "attempt.started" && e.kind),
      ["fresh", "continue"],
    );
    assert.equal(stateOf(results, "stalled-stream"), "succeeded");
  });

  it("never stops a model that streams slowly but steadily", () => {
    assert.deepEqual(actionsOf(h, "steady-stream"), []);
    assert.equal(stateOf(results, "steady-stream"), "succeeded");
  });

  it("aborts and retries an attempt whose model never sends a first byte", () => {
    const actions = actionsOf(h, "silent-model");
    assert.equal(actions.length, 2, "each of the two attempts was stopped by the watchdog");
    for (const action of actions) {
      assert.equal(action.state, "no_first_byte");
      assert.equal(action.remedy, "retry");
    }
    const task = results.tasks.find((t) => t.id === "silent-model");
    assert.equal(task?.status, "failed");
    assert.match(JSON.stringify(task), /the model sent nothing/);
  });

  it("flags thrashing without stopping the attempt", () => {
    const actions = actionsOf(h, "thrashing");
    assert.deepEqual(
      actions.map((a) => [a.state, a.remedy]),
      [["thrashing", "flag"]],
    );
    assert.equal(stateOf(results, "thrashing"), "succeeded");
  });

  it("shows liveness with since and evidence in progress events", () => {
    const inTool = h.events.find(
      (e) => e.type === "attempt.progress" && e.taskId === "printing-tool" && e.liveness === "in_tool",
    );
    assert.ok(inTool && inTool.type === "attempt.progress");
    assert.equal(typeof inTool.since, "number");
    assert.equal(inTool.evidence?.tool, "bash");
  });
});

describe("watchdog hard limit per tool (real OpenCode)", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness({
      // Idle generously past a loaded machine's gaps in output reporting; the limit comes first.
      "watchdog.toolIdle": "4s",
      "watchdog.toolLimit": { bash: "6s", default: "30m" },
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("stops a tool that is alive but past its limit, and the session goes on", async () => {
    const results = await h.run([
      h.task("long", "[[bash for i in $(seq 1 120); do echo tick $i; sleep 0.25; done]] [[reply stopped]]"),
    ]);
    const actions = actionsOf(h, "long");
    assert.deepEqual(
      actions.map((a) => [a.state, a.remedy]),
      [["tool_limit", "kill_tool"]],
    );
    assert.ok(Number(actions[0]?.evidence.outputBytes) > 0, "it was printing: only the limit stopped it");
    assert.equal(stateOf(results, "long"), "succeeded");
  });
});
