import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DroverError } from "../../src/core/errors.ts";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import { checkTaskGraph, findCycle } from "../../src/intake/check-task-graph.ts";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { DependencyGraph } from "../../src/queue/dependency-graph.ts";
import { planRounds } from "../../src/queue/plan-rounds.ts";
import { orderReady } from "../../src/queue/strategy.ts";

const spec = (id: string, dependsOn: string[] = []): TaskSpec => ({
  id,
  prompt: id,
  title: id,
  dir: "/",
  model: "drover/scripted",
  files: [],
  timeoutMs: 60_000,
  dependsOn,
});

/** `t0` depends on `t1`, … : listed dependents first, so a recursive walk would go n deep. */
function chain(n: number): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => spec(`t${i}`, i + 1 < n ? [`t${i + 1}`] : []));
}

/** The chain closed into a cycle: the last task depends on the first. */
function ring(n: number): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => spec(`t${i}`, [`t${(i + 1) % n}`]));
}

describe("big dependency graphs", () => {
  it("reads, checks and plans a 10,000-task chain without exhausting the stack", () => {
    const document = parseTaskDocument(
      { tasks: chain(10_000).map(({ id, prompt, dependsOn }) => ({ id, prompt, dependsOn })) },
      "chain.json",
      { model: "drover/scripted", timeoutMs: 60_000, baseDir: "/" },
    );
    for (const strategy of ["depth-first", "breadth-first"] as const) {
      const rounds = planRounds(document.specs, strategy, 4);
      assert.equal(rounds.length, 10_000, "one task per round: each waits for the one before");
      assert.deepEqual(rounds[0], ["t9999"]);
      assert.deepEqual(rounds.at(-1), ["t0"]);
    }
  });

  it("reports a 10,000-task cycle as one issue that names it, not a stack overflow", () => {
    const issues = checkTaskGraph(ring(10_000), "ring.json");
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, "tasks[0].dependsOn");
    assert.equal(
      issues[0]?.message,
      "dependency cycle of 10000 tasks: t0 → t1 → t2 → t3 → t4 → t5 → t6 → t7 → … → t9998 → t9999 → t0",
    );
    assert.throws(
      () =>
        parseTaskDocument(
          { tasks: ring(10_000).map(({ id, prompt, dependsOn }) => ({ id, prompt, dependsOn })) },
          "ring.json",
          { model: "drover/scripted", timeoutMs: 60_000, baseDir: "/" },
        ),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "bad_input" &&
        /ring\.json tasks\[0\]\.dependsOn: dependency cycle of 10000 tasks: t0 → t1/.test(error.message),
    );
  });

  it("names short cycles in full", () => {
    assert.deepEqual(findCycle([spec("a", ["b"]), spec("b", ["c"]), spec("c", ["a"])]), ["a", "b", "c", "a"]);
    assert.equal(
      checkTaskGraph([spec("a", ["b"]), spec("b", ["a"])], "f")[0]?.message,
      "dependency cycle: a → b → a",
    );
  });

  it("refuses to plan tasks that can never start, instead of returning a partial plan", () => {
    assert.throws(
      () => planRounds([spec("root"), ...ring(10_000)], "depth-first", 4),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "bad_input" &&
        /10000 task\(s\) can never start — a dependency cycle/.test(error.message),
    );
  });

  it("unlocks a task that lists the same dependency twice once", () => {
    const graph = new DependencyGraph([spec("a"), spec("b", ["a", "a"])]);
    const states = new Map([
      ["a", "succeeded" as const],
      ["b", "waiting" as const],
    ]);
    assert.deepEqual(
      graph.unlockedBy("a", (id) => states.get(id) ?? "queued"),
      ["b"],
    );
  });

  it("walks dependents only through the tasks the caller accepts", () => {
    const graph = new DependencyGraph([spec("a"), spec("b", ["a"]), spec("c", ["b"]), spec("d", ["c"])]);
    assert.deepEqual(graph.dependentsOf("a"), ["b", "c", "d"]);
    assert.deepEqual(
      graph.dependentsOf("a", (id) => id !== "c"),
      ["b"],
      "c is settled: neither c nor what lies past it is listed",
    );
  });

  it("keeps depth-first order past 10,000 branches: a branch under way still goes first", () => {
    const all = [...Array.from({ length: 10_001 }, (_, i) => `b${i}`), "b10000.1"];
    assert.deepEqual(
      orderReady("depth-first", { ready: ["b0", "b10000.1"], all, running: ["b10000"], done: [] }),
      ["b10000.1", "b0"],
    );
  });
});
