import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DroverError } from "../../src/core/errors.ts";
import { parseTaskDocument, readTaskDocument, readTaskFile } from "../../src/intake/read-task-file.ts";
import { resolveTaskSpecs } from "../../src/intake/resolve-task-specs.ts";
import { TaskFile } from "../../src/intake/task-file-schema.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const defaults = { model: "drover/scripted", timeoutMs: 60_000 };
const awsKey = "AKIAIOSFODNN7EXAMPLE";
const githubToken = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/** Runs `work`, expecting a bad-input DroverError, and returns it. */
function refusal(work: () => unknown): DroverError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof DroverError, `not a DroverError: ${error}`);
    assert.equal(error.code, "bad_input");
    return error;
  }
  assert.fail("the input was accepted");
}

describe("secrets at intake", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const write = (name: string, text: string) => {
    const file = path.join(temp.dir, name);
    writeFileSync(file, text);
    return file;
  };
  beforeEach(() => {
    temp = makeTempDir();
    mkdirSync(path.join(temp.dir, "repo"));
  });
  afterEach(() => temp.cleanup());

  it("refuses a secret in a task file's prompt, naming file, task, field and kind but not the value", () => {
    const file = write(
      "tasks.yaml",
      `tasks:\n  - id: build\n    prompt: run the build\n  - id: deploy\n    prompt: deploy with key ${awsKey}\n`,
    );
    const error = refusal(() => readTaskFile(file, { ...defaults, baseDir: temp.dir }));
    assert.deepEqual(
      error.issues.map((issue) => [issue.source, issue.path]),
      [[file, "tasks[1].prompt"]],
    );
    assert.match(error.message, /task "deploy" prompt/);
    assert.match(error.message, /AWS access key id/);
    assert.match(error.message, /allowSecrets: true/);
    assert.ok(!error.message.includes(awsKey), "the refusal must not repeat the secret");
  });

  it("checks titles, attached file names and ids too, and never echoes the value", () => {
    const file = write(
      "tasks.json",
      JSON.stringify({
        tasks: [
          { id: "a", prompt: "hi", title: `push ${githubToken}` },
          { id: "b", prompt: "hi", files: [`keys/${awsKey}.txt`] },
          { id: awsKey, prompt: "hi" },
        ],
      }),
    );
    const error = refusal(() => readTaskFile(file, { ...defaults, baseDir: temp.dir }));
    const secretIssues = error.issues.filter((issue) =>
      /looks like it contains a secret/.test(issue.message),
    );
    assert.deepEqual(
      secretIssues.map((issue) => issue.path),
      ["tasks[0].title", "tasks[1].files[0]", "tasks[2].id"],
    );
    assert.match(secretIssues[0]?.message ?? "", /task "a" title .*GitHub token/);
    assert.match(secretIssues[1]?.message ?? "", /task "b" attached file name 1 .*AWS access key id/);
    assert.match(secretIssues[2]?.message ?? "", /task 3 id .*AWS access key id/);
    assert.ok(!error.message.includes(awsKey), "not in the secret issues nor in 'file does not exist'");
    assert.ok(!error.message.includes(githubToken));
  });

  it("checks the file names in defaults once", () => {
    mkdirSync(path.join(temp.dir, "repo", "keys"));
    const name = `keys/${awsKey}`;
    writeFileSync(path.join(temp.dir, "repo", name), "x");
    const text = `defaults:\n  dir: repo\n  files: [${name}]\ntasks:\n  - id: a\n    prompt: one\n  - id: b\n    prompt: two\n`;
    const error = refusal(() => readTaskFile(write("t.yaml", text), { ...defaults, baseDir: temp.dir }));
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ["defaults.files[0]"],
    );
    assert.match(
      error.message,
      /a file name in defaults .*AWS access key id.*allowSecrets: true in defaults/,
    );
    const allowed = `defaults:\n  dir: repo\n  allowSecrets: true\n  files: [${name}]\ntasks:\n  - id: a\n    prompt: one\n`;
    assert.equal(readTaskFile(write("ok.yaml", allowed), { ...defaults, baseDir: temp.dir }).length, 1);
  });

  it("accepts the secret when the task, or the file's defaults, set allowSecrets: true", () => {
    const onTask = write(
      "task.yaml",
      `tasks:\n  - id: deploy\n    allowSecrets: true\n    prompt: deploy with key ${awsKey}\n`,
    );
    assert.equal(
      readTaskFile(onTask, { ...defaults, baseDir: temp.dir })[0]?.prompt,
      `deploy with key ${awsKey}`,
    );
    const inDefaults = write(
      "defaults.yaml",
      `defaults:\n  allowSecrets: true\ntasks:\n  - id: deploy\n    prompt: deploy with key ${awsKey}\n`,
    );
    assert.equal(readTaskFile(inDefaults, { ...defaults, baseDir: temp.dir }).length, 1);
    const taskSaysNo = write(
      "no.yaml",
      `defaults:\n  allowSecrets: true\ntasks:\n  - id: deploy\n    allowSecrets: false\n    prompt: deploy with key ${awsKey}\n`,
    );
    const error = refusal(() => readTaskFile(taskSaysNo, { ...defaults, baseDir: temp.dir }));
    assert.equal(error.issues[0]?.path, "tasks[0].prompt");
  });

  it("refuses secrets in API submissions and -p prompts (the same intake path)", () => {
    const body = { tasks: [{ id: "t1", prompt: `clone https://bot:hunter2hunter2@git.example.com/x` }] };
    const api = refusal(() => parseTaskDocument(body, "request", { ...defaults, baseDir: temp.dir }));
    assert.deepEqual(api.issues[0], {
      source: "request",
      path: "tasks[0].prompt",
      message: api.issues[0]?.message,
    });
    assert.match(api.message, /task "t1" prompt .*password in URL/);
    assert.ok(!api.message.includes("hunter2hunter2"));

    const flags = TaskFile.parse({ tasks: [{ id: "p1", prompt: `use ${githubToken}` }] });
    const issues: DroverError["issues"] = [];
    resolveTaskSpecs(flags, { ...defaults, baseDir: temp.dir }, "-p", issues);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.source, "-p");
    assert.match(issues[0]?.message ?? "", /task "p1" prompt .*GitHub token/);
  });

  it("accepts the quickstart tasks and their [[…]] directives", () => {
    const document = readTaskDocument(path.join(repo, "examples/quickstart/tasks.yaml"), defaults);
    assert.equal(document.specs.length, 5);
  });

  it("drover plan exits 2 on a task file with a secret, without printing it", async () => {
    const file = write("tasks.yaml", `tasks:\n  - id: deploy\n    prompt: deploy with key ${awsKey}\n`);
    const run = runDrover(["plan", file], { cwd: temp.dir });
    assert.equal(await run.exited, 2);
    const output = run.stdout() + run.stderr();
    assert.match(output, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} tasks\\[0\\]\\.prompt`));
    assert.match(output, /task "deploy" prompt .*AWS access key id/);
    assert.ok(!output.includes(awsKey), output);
  });
});
