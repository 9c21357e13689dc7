import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parse } from "yaml";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A brief the scripted model splits in three: two parts that write files, then one that reads both. */
const brief = [
  "Build a tiny site",
  "- Write the page [[write page.txt hello]]",
  "- Write the style [[write style.txt body {}]]",
  "- Check both after:1,2 [[bash cat page.txt style.txt > both.txt]]",
].join("\n");

interface ResultsFile {
  tasks: { id: string; status: string }[];
}

describe("drover decompose (the CLI)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });
  const drover = (args: string[]) => runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });

  it("writes a task file with -o that drover run accepts and runs in dependency order", async () => {
    const split = drover(["decompose", brief, "-o", "tasks.yaml"]);
    assert.equal(await split.exited, 0, split.stderr());
    assert.match(split.stdout(), /wrote 3 tasks to tasks\.yaml; run them with: drover run tasks\.yaml/);
    // Progress: one line per classification on stderr.
    assert.match(
      split.stderr(),
      /t1 composite, split into t1\.1 Write the page, t1\.2 Write the style, t1\.3 Check both/,
    );
    const file = parse(readFileSync(path.join(temp.dir, "tasks.yaml"), "utf8")) as {
      tasks: { id: string; dependsOn?: string[] }[];
    };
    assert.deepEqual(
      file.tasks.map((task) => [task.id, task.dependsOn ?? []]),
      [
        ["t1.1", []],
        ["t1.2", []],
        ["t1.3", ["t1.1", "t1.2"]],
      ],
    );
    const run = drover(["run", "tasks.yaml", "--json"]);
    assert.equal(await run.exited, 0, run.stderr());
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as ResultsFile;
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status]),
      [
        ["t1.1", "succeeded"],
        ["t1.2", "succeeded"],
        ["t1.3", "succeeded"],
      ],
    );
    assert.equal(readFileSync(path.join(temp.dir, "both.txt"), "utf8"), "hello\nbody {}\n");
  });

  it("prints the tree and the task file as JSON with --json, and the YAML without -o", async () => {
    const json = drover(["decompose", brief, "--json", "--id", "site"]);
    assert.equal(await json.exited, 0, json.stderr());
    const lines = json.stdout().trim().split("\n");
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0] ?? "{}") as {
      type: string;
      tree: { id: string; kind: string; children: { id: string; title: string }[] };
      taskFile: { tasks: { id: string }[] };
    };
    assert.equal(result.type, "decompose.result");
    assert.equal(result.tree.kind, "composite");
    assert.deepEqual(
      result.tree.children.map((child) => child.id),
      ["site.1", "site.2", "site.3"],
    );
    assert.equal(result.taskFile.tasks.length, 3);

    const printed = drover(["decompose", "Fix the typo in README.md"]);
    assert.equal(await printed.exited, 0, printed.stderr());
    assert.deepEqual((parse(printed.stdout()) as { tasks: unknown }).tasks, [
      { id: "t1", prompt: "Fix the typo in README.md" },
    ]);
  });

  it("runs the subtasks of a task marked decompose: true, and its dependents after all of them", async () => {
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      `${JSON.stringify({
        tasks: [
          { id: "site", decompose: true, prompt: brief },
          { id: "publish", dependsOn: ["site"], prompt: "[[bash cp both.txt published.txt]]" },
        ],
      })}\n`,
    );
    const run = drover(["run", "tasks.yaml", "--json"]);
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /site composite, split into site\.1/);
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as ResultsFile;
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status]),
      [
        ["site.1", "succeeded"],
        ["site.2", "succeeded"],
        ["site.3", "succeeded"],
        ["publish", "succeeded"],
      ],
    );
    assert.equal(readFileSync(path.join(temp.dir, "published.txt"), "utf8"), "hello\nbody {}\n");
  });

  it("fails with a clear error when the model's report is bad, writing nothing", async () => {
    const bad = JSON.stringify({
      kind: "composite",
      reason: "r",
      subtasks: [{ title: "only", prompt: "x" }],
    });
    const run = drover(["decompose", `Plan [[decomposition ${bad}]]`, "-o", "tasks.yaml"]);
    assert.equal(await run.exited, 1);
    assert.match(
      run.stderr(),
      /drover: decomposing t1: drover\/scripted answered twice with a report that cannot be used: composite needs at least 2 subtasks, got 1/,
    );
    assert.equal(existsSync(path.join(temp.dir, "tasks.yaml")), false);
  });

  it("refuses bad flags before starting anything (exit 2)", async () => {
    for (const [args, message] of [
      [["--depth", "0"], /--depth: "0": Too small/],
      [["--max", "many"], /--max: "many": is not a whole number/],
      [["--id", "a b"], /--id: must be letters/],
      [["--dir", "missing"], /directory does not exist/],
    ] as const) {
      const run = drover(["decompose", "Do it", ...args]);
      assert.equal(await run.exited, 2, args.join(" "));
      assert.match(run.stderr(), message);
    }
    assert.equal(existsSync(path.join(stateDir, "engines")), false);
  });
});
