import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DroverError } from "../../src/core/errors.ts";
import { readTaskDocument } from "../../src/intake/read-task-file.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const sixMistakes = `tasks:
  - id: a
    title: no prompt here
  - id: b
    prompt: hi
    promt: typo
  - id: b
    prompt: dup
  - id: c
    prompt: hi
    dependsOn: [ghost]
  - id: d
    prompt: hi
    files: [missing.md]
  - id: e
    prompt: hi
    timeout: soon
`;

describe("a task file's problems, all in one pass, in a user's words", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("reports all six mistakes of a file at once, in task order", () => {
    const file = path.join(temp.dir, "tasks.yaml");
    writeFileSync(file, sixMistakes);
    let issues: { path: string; message: string }[] = [];
    try {
      readTaskDocument(file, { model: "drover/scripted", timeoutMs: 60_000 });
      assert.fail("the file was accepted");
    } catch (error) {
      assert.ok(error instanceof DroverError);
      issues = error.issues;
    }
    assert.deepEqual(
      issues.map((issue) => [issue.path, issue.message.replace(temp.dir, "DIR")]),
      [
        ["tasks[0].prompt", "`prompt` is required"],
        ["tasks[1]", "unknown field(s): promt"],
        ["tasks[2].id", 'duplicate id "b" (first at tasks[1])'],
        ["tasks[3].dependsOn[0]", 'unknown task "ghost"'],
        ["tasks[4].files[0]", "file does not exist: DIR/missing.md"],
        ["tasks[5].timeout", '"soon" is not a duration (use e.g. 90, "30s", "10m", "1h")'],
      ],
    );
  });

  it("names the wrong type in words: a list where text belongs", () => {
    const file = path.join(temp.dir, "tasks.yaml");
    writeFileSync(file, "tasks:\n  - id: a\n    prompt: [not, text]\n    dependsOn: nope\n");
    assert.throws(
      () => readTaskDocument(file, { model: "drover/scripted", timeoutMs: 60_000 }),
      (error: unknown) =>
        error instanceof DroverError &&
        error.issues.some((issue) => issue.message === "`prompt` must be text") &&
        error.issues.some((issue) => issue.message === "`dependsOn` must be a list"),
    );
  });

  it("-c 0 names --concurrency, not the config path alone", async () => {
    const run = runDrover(["run", "-p", "hi", "-c", "0"], { cwd: temp.dir });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /--concurrency capacity\.maxWorkers: `maxWorkers` must be at least 1/);
  });
});
