import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Classify, decomposeBrief } from "../../src/decompose/decompose-brief.ts";
import { checkDecompositionReport } from "../../src/decompose/decomposition-report.ts";
import { allNodes } from "../../src/decompose/task-tree.ts";

/** Splits every brief in two (the second after the first), as deep as it is asked. */
const alwaysSplit: Classify = async (brief) => ({
  kind: "composite",
  reason: "two parts",
  subtasks: [
    { title: `${brief.id} first`, prompt: "first", dependsOn: [], touches: [] },
    { title: `${brief.id} second`, prompt: "second", dependsOn: [1], touches: ["src/**"] },
  ],
});

describe("decomposing a brief (recursion, with a stand-in model)", () => {
  it("splits down to the depth limit and no further", async () => {
    const asked: string[] = [];
    const tree = await decomposeBrief(
      { id: "t1", prompt: "brief" },
      {
        depth: 2,
        classify: async (brief) => {
          asked.push(brief.id);
          return alwaysSplit(brief);
        },
      },
    );
    assert.deepEqual(asked.sort(), ["t1", "t1.1", "t1.2"]);
    const ids = allNodes(tree).map((node) => node.id);
    assert.deepEqual(ids, ["t1", "t1.1", "t1.1.1", "t1.1.2", "t1.2", "t1.2.1", "t1.2.2"]);
    assert.equal(allNodes(tree).find((node) => node.id === "t1.2.1")?.kind, "depth_limit");
    assert.deepEqual(tree.children[1]?.dependsOn, ["t1.1"]);
  });

  it("tells each nested brief what it is part of, and reports one line per classification", async () => {
    const within = new Map<string, readonly string[]>();
    const lines: string[] = [];
    await decomposeBrief(
      { id: "t1", prompt: "Build a CRM" },
      {
        depth: 2,
        classify: async (brief) => {
          within.set(brief.id, brief.within);
          return brief.id === "t1" ? alwaysSplit(brief) : { kind: "atomic", reason: "small", subtasks: [] };
        },
        onProgress: (line) => lines.push(line),
      },
    );
    assert.deepEqual(within.get("t1"), []);
    assert.deepEqual(within.get("t1.2"), ["Build a CRM"]);
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /^t1 composite, split into t1\.1 t1 first, t1\.2 t1 second: two parts$/);
    assert.ok(lines.includes("t1.1 atomic: small"));
  });
});

describe("checking the model's report", () => {
  const part = (dependsOn: number[] = []) => ({ title: "p", prompt: "do it", dependsOn, touches: [] });

  it("accepts atomic, and composite with 2..max subtasks", () => {
    assert.deepEqual(checkDecompositionReport({ kind: "atomic", reason: "small" }, 5), {
      classification: { kind: "atomic", reason: "small", subtasks: [] },
    });
    const ok = checkDecompositionReport(
      { kind: "composite", reason: "big", subtasks: [part(), part([1])] },
      5,
    );
    assert.ok("classification" in ok);
  });

  it("names every problem, counting subtasks from 1", () => {
    const problems = (raw: unknown, max = 3) => {
      const checked = checkDecompositionReport(raw, max);
      return "problems" in checked ? checked.problems : [];
    };
    assert.deepEqual(problems({ kind: "banana", reason: "x" }), [
      'kind: Invalid option: expected one of "atomic"|"composite"',
    ]);
    assert.deepEqual(problems({ kind: "composite", reason: "x", subtasks: [part()] }), [
      "composite needs at least 2 subtasks, got 1",
    ]);
    assert.deepEqual(
      problems({ kind: "composite", reason: "x", subtasks: [part(), part(), part(), part()] }),
      ["at most 3 subtasks are allowed, got 4"],
    );
    assert.deepEqual(problems({ kind: "composite", reason: "x", subtasks: [part([9]), part([2])] }), [
      "subtask 1 dependsOn 9: there is no subtask 9 (1-2)",
      "subtask 2 depends on itself",
    ]);
    assert.deepEqual(problems({ kind: "composite", reason: "x", subtasks: [part([2]), part([1])] }), [
      "subtasks depend on each other in a cycle: 1 → 2 → 1",
    ]);
    assert.deepEqual(
      problems({ kind: "composite", reason: "x", subtasks: [part(), { title: "", prompt: "y" }] }),
      ["subtask 2 title: must not be empty"],
    );
  });
});
