import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parse } from "yaml";
import type { TaskNode } from "../../src/decompose/task-tree.ts";
import { leafTasks, taskFileObject, taskFileYaml } from "../../src/decompose/tree-to-task-file.ts";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A node with defaults; children given are its subtasks. */
function node(id: string, extra: Partial<TaskNode> = {}): TaskNode {
  return {
    id,
    prompt: `Work on part ${id.replaceAll(".", "-")}`,
    dependsOn: [],
    touches: [],
    kind: extra.children?.length ? "composite" : "atomic",
    children: [],
    ...extra,
  };
}

// t1 → t1.1 (atomic), t1.2 (split: t1.2.1, t1.2.2 after t1.2.1) after t1.1, t1.3 after t1.2
const tree = node("t1", {
  prompt: "Build a CRM",
  children: [
    node("t1.1", { title: "Contacts", touches: ["src/contacts/**"] }),
    node("t1.2", {
      title: "Deals",
      dependsOn: ["t1.1"],
      touches: ["src/deals/**"],
      children: [
        node("t1.2.1", { title: "Deal model" }),
        node("t1.2.2", { title: "Deal board", dependsOn: ["t1.2.1"], touches: ["src/deals/board/**"] }),
      ],
    }),
    node("t1.3", { title: "Email", dependsOn: ["t1.2"] }),
  ],
});

describe("decomposed tree → task file", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("makes one task per leaf, with dotted ids, in order", () => {
    assert.deepEqual(
      leafTasks(tree).map((leaf) => leaf.id),
      ["t1.1", "t1.2.1", "t1.2.2", "t1.3"],
    );
  });

  it("turns a dependency on a split sibling into one on all its leaves, and passes a parent's dependencies down", () => {
    const deps = Object.fromEntries(leafTasks(tree).map((leaf) => [leaf.id, leaf.dependsOn]));
    assert.deepEqual(deps["t1.1"], []);
    assert.deepEqual(deps["t1.2.1"], ["t1.1"]);
    assert.deepEqual(new Set(deps["t1.2.2"]), new Set(["t1.2.1", "t1.1"]));
    assert.deepEqual(deps["t1.3"], ["t1.2.1", "t1.2.2"]);
  });

  it("keeps a leaf's own touches, else takes its split parent's", () => {
    const touches = Object.fromEntries(leafTasks(tree).map((leaf) => [leaf.id, leaf.touches]));
    assert.deepEqual(touches["t1.2.1"], ["src/deals/**"]);
    assert.deepEqual(touches["t1.2.2"], ["src/deals/board/**"]);
    assert.deepEqual(touches["t1.3"], []);
  });

  it("writes YAML that the task-file reader accepts, with the graph intact", () => {
    const yaml = taskFileYaml(tree, { withTouches: false });
    const document = parseTaskDocument(parse(yaml), "tasks.yaml", {
      model: "drover/scripted",
      timeoutMs: 60_000,
      baseDir: temp.dir,
    });
    assert.deepEqual(
      document.specs.map((spec) => [spec.id, spec.title, spec.dependsOn.length]),
      [
        ["t1.1", "Contacts", 0],
        ["t1.2.1", "Deal model", 1],
        ["t1.2.2", "Deal board", 2],
        ["t1.3", "Email", 2],
      ],
    );
    // Without a repo, touches cannot be fields (the reader refuses them): they stay as comments.
    assert.match(yaml, /# touches \(needs repo\): src\/contacts\/\*\*/);
    assert.match(yaml, /# t1\.2: Deals/);
    assert.doesNotMatch(yaml, /^\s+touches:/m);
  });

  it("writes touches and the defaults when the tasks get a repository", () => {
    mkdirSync(path.join(temp.dir, "repo"));
    const file = taskFileObject(tree, { withTouches: true, defaults: { repo: "repo" } });
    assert.deepEqual(file.defaults, { repo: "repo" });
    const tasks = file.tasks as { id: string; touches?: string[] }[];
    assert.deepEqual(tasks[0]?.touches, ["src/contacts/**"]);
    const document = parseTaskDocument(
      parse(taskFileYaml(tree, { withTouches: true, defaults: { repo: "repo" } })),
      "tasks.yaml",
      {
        model: "drover/scripted",
        timeoutMs: 60_000,
        baseDir: temp.dir,
      },
    );
    assert.deepEqual(document.specs[1]?.workspace?.touches, ["src/deals/**"]);
  });

  it("gives an atomic brief as one task: the brief itself", () => {
    const atomic = node("t7", { prompt: "Fix the typo in README.md", kind: "atomic" });
    assert.deepEqual(taskFileObject(atomic, { withTouches: false }), {
      tasks: [{ id: "t7", prompt: "Fix the typo in README.md" }],
    });
  });
});
