import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DecomposeSettings } from "../../src/config/decompose-settings.ts";
import { DroverError } from "../../src/core/errors.ts";
import { createDecomposer } from "../../src/decompose/decomposer.ts";
import { allNodes, type TaskNode } from "../../src/decompose/task-tree.ts";
import { leafTasks } from "../../src/decompose/tree-to-task-file.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

const outline = [
  "Build a CRM",
  "- Contact management touches:src/contacts/**",
  "- Deal pipeline after:1",
  "  - Deal model",
  "  - Deal board after:1",
  "    - Board columns",
  "    - Board cards",
  "- Email integration after:1,2",
].join("\n");

describe("decomposition through real OpenCode and the scripted model", () => {
  let harness: EngineHarness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    assert.deepEqual(await harness.close(), [], "no OpenCode process outlives the test");
  });

  const decompose = (prompt: string, settings: Partial<DecomposeSettings> = {}, lines: string[] = []) =>
    createDecomposer({
      engine: harness.app.engine,
      model: "drover/scripted",
      settings: DecomposeSettings.parse(settings),
      stateDir: harness.app.loaded.stateDir,
      onProgress: (line) => lines.push(line),
    })({ id: "t1", prompt });
  const ids = (tree: TaskNode) => allNodes(tree).map((node) => node.id);
  /** How many structured answers the model gave (one per classification call). */
  const reportsAnswered = () =>
    readFileSync(path.join(harness.app.loaded.stateDir, "scripted-model.jsonl"), "utf8")
      .split("\n")
      .filter((line) => line.includes('"label":"tool:StructuredOutput"')).length;

  it("splits a composite brief into subtasks with dotted ids and dependsOn, nested to depth 2 only", async () => {
    const lines: string[] = [];
    const tree = await decompose(outline, { depth: 2 }, lines);
    assert.equal(tree.kind, "composite");
    assert.deepEqual(ids(tree), ["t1", "t1.1", "t1.2", "t1.2.1", "t1.2.2", "t1.3"]);
    assert.deepEqual(
      tree.children.map((child) => [child.title, child.dependsOn]),
      [
        ["Contact management", []],
        ["Deal pipeline", ["t1.1"]],
        ["Email integration", ["t1.1", "t1.2"]],
      ],
    );
    assert.deepEqual(tree.children[0]?.touches, ["src/contacts/**"]);
    // Level 3 is past the limit: t1.2.2 keeps its own outline instead of being split.
    const board = allNodes(tree).find((node) => node.id === "t1.2.2");
    assert.equal(board?.kind, "depth_limit");
    assert.match(board?.prompt ?? "", /- Board columns\n- Board cards/);
    assert.deepEqual(leafTasks(tree).find((leaf) => leaf.id === "t1.3")?.dependsOn, [
      "t1.1",
      "t1.2.1",
      "t1.2.2",
    ]);
    // One line per classification: t1, t1.1, t1.2, t1.3.
    assert.equal(lines.length, 4, lines.join("\n"));
  });

  it("goes one level deeper with depth 3, and not at all past depth 1", async () => {
    assert.ok(ids(await decompose(outline, { depth: 3 })).includes("t1.2.2.2"));
    assert.deepEqual(ids(await decompose(outline, { depth: 1 })), ["t1", "t1.1", "t1.2", "t1.3"]);
  });

  it("asks for at most --max subtasks per split", async () => {
    const tree = await decompose("Chores\n- one\n- two\n- three\n- four", { depth: 1, max: 3 });
    assert.deepEqual(
      tree.children.map((child) => child.title),
      ["one", "two", "three and 1 more"],
    );
  });

  it("keeps an atomic brief whole: one task", async () => {
    const tree = await decompose("Fix the typo in README.md");
    assert.equal(tree.kind, "atomic");
    assert.deepEqual(
      leafTasks(tree).map((leaf) => [leaf.id, leaf.prompt]),
      [["t1", "Fix the typo in README.md"]],
    );
  });

  it("asks once more after a bad report, then fails naming what was wrong", async () => {
    const before = reportsAnswered();
    const bad = JSON.stringify({
      kind: "composite",
      reason: "two parts",
      subtasks: [
        { title: "a", prompt: "do a", dependsOn: [7], touches: [] },
        { title: "b", prompt: "do b", dependsOn: [], touches: [] },
      ],
    });
    await assert.rejects(decompose(`Plan it [[decomposition ${bad}]]`), (error: unknown) => {
      assert.ok(error instanceof DroverError);
      assert.equal(error.code, "model_error");
      assert.match(
        error.message,
        /decomposing t1: drover\/scripted answered twice with a report that cannot be used: subtask 1 dependsOn 7: there is no subtask 7 \(1-2\)/,
      );
      return true;
    });
    assert.equal(reportsAnswered() - before, 2, "one retry");
  });

  it("fails clearly when the model gives no report at all", async () => {
    await assert.rejects(
      decompose("Plan it [[no-report]] [[reply I would rather chat]]"),
      (error: unknown) => {
        assert.ok(error instanceof DroverError);
        assert.match(
          error.message,
          /decomposing t1 with drover\/scripted: .*(structured report|reporting its outcome)/,
        );
        return true;
      },
    );
  });
});
