import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canTransition, finalStates, isFinal, taskStates } from "../../src/core/task-states.ts";

describe("task state transitions", () => {
  it("follows the architecture's lifecycle", () => {
    const path = ["queued", "waiting", "ready", "running", "succeeded"] as const;
    for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1] as never, path[i] as never));
    assert.ok(canTransition("running", "retry_wait"));
    assert.ok(canTransition("retry_wait", "ready"));
    assert.ok(canTransition("running", "parked"));
    assert.ok(canTransition("parked", "ready"));
    assert.ok(canTransition("waiting", "blocked"));
  });

  it("never leaves succeeded, and leaves other final states only by an explicit retry", () => {
    for (const to of taskStates) assert.equal(canTransition("succeeded", to), false, `succeeded → ${to}`);
    for (const from of finalStates.filter((s) => s !== "succeeded")) {
      for (const to of taskStates) assert.equal(canTransition(from, to), to === "queued", `${from} → ${to}`);
    }
  });

  it("rejects skipping the run", () => {
    assert.equal(canTransition("queued", "succeeded"), false);
    assert.equal(canTransition("ready", "succeeded"), false);
    assert.equal(canTransition("waiting", "running"), false);
  });

  it("knows the final states", () => {
    assert.deepEqual(
      taskStates.filter((s) => isFinal(s)),
      ["succeeded", "failed", "blocked", "timed_out", "cancelled"],
    );
  });
});
