import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import type { Decomposer } from "../../src/decompose/decomposer.ts";
import { expandTaskDocument } from "../../src/decompose/expand-task-document.ts";
import type { TaskNode } from "../../src/decompose/task-tree.ts";

const spec = (id: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({
  id,
  prompt: `Work on ${id}`,
  title: id,
  dir: "/work",
  model: "p/cheap",
  files: [],
  timeoutMs: 60_000,
  dependsOn: [],
  ...extra,
});

const leaf = (id: string, dependsOn: string[] = []): TaskNode => ({
  id,
  title: `part ${id}`,
  prompt: `Do part ${id.replaceAll(".", "-")}`,
  dependsOn,
  touches: ["src/part/**"],
  kind: "atomic",
  children: [],
});

/** Splits `site` into two parts (the second after the first); finds anything else atomic. */
const decomposer: Decomposer = async (brief) =>
  brief.id === "site"
    ? {
        id: "site",
        prompt: brief.prompt,
        dependsOn: [],
        touches: [],
        kind: "composite",
        children: [leaf("site.1"), leaf("site.2", ["site.1"])],
      }
    : { id: brief.id, prompt: brief.prompt, dependsOn: [], touches: [], kind: "atomic", children: [] };

describe("decompose: true (a marked task replaced by its subtasks)", () => {
  it("puts the subtasks in the task's place, inheriting its fields and dependencies", async () => {
    const document = await expandTaskDocument(
      {
        specs: [
          spec("setup"),
          spec("site", { dependsOn: ["setup"], model: "p/big", agent: "build", files: ["/work/spec.md"] }),
          spec("ship", { dependsOn: ["site"] }),
          spec("small", { dependsOn: ["setup"] }),
        ],
        idempotencyKeys: new Map([["site", "k1"]]),
        decompose: new Set(["site", "small"]),
      },
      decomposer,
      "tasks.yaml",
    );
    assert.deepEqual(
      document.specs.map((task) => [task.id, task.dependsOn]),
      [
        ["setup", []],
        ["site.1", ["setup"]],
        ["site.2", ["setup", "site.1"]],
        ["ship", ["site.1", "site.2"]],
        ["small", ["setup"]],
      ],
    );
    const first = document.specs[1];
    assert.equal(first?.title, "part site.1");
    assert.equal(first?.model, "p/big");
    assert.equal(first?.agent, "build");
    assert.deepEqual(first?.files, ["/work/spec.md"]);
    assert.deepEqual(
      [...document.idempotencyKeys],
      [
        ["site.1", "k1/site.1"],
        ["site.2", "k1/site.2"],
      ],
    );
    assert.equal(document.decompose, undefined);
  });

  it("gives subtasks of a repository task their own footprint", async () => {
    const workspace = { repo: "/work", subdir: "", deliver: "branch" as const, touches: ["everything/**"] };
    const document = await expandTaskDocument(
      { specs: [spec("site", { workspace })], idempotencyKeys: new Map(), decompose: new Set(["site"]) },
      decomposer,
      "tasks.yaml",
    );
    assert.deepEqual(
      document.specs.map((task) => task.workspace?.touches),
      [["src/part/**"], ["src/part/**"]],
    );
  });

  it("refuses subtask ids that clash with tasks already in the file", async () => {
    await assert.rejects(
      expandTaskDocument(
        { specs: [spec("site"), spec("site.1")], idempotencyKeys: new Map(), decompose: new Set(["site"]) },
        decomposer,
        "tasks.yaml",
      ),
      /duplicate id "site\.1"/,
    );
  });
});
