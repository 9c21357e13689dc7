import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DroverError } from "../../src/core/errors.ts";
import { readTaskFile } from "../../src/intake/read-task-file.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const defaults = { model: "drover/scripted", timeoutMs: 60_000, baseDir: "/" };

describe("task files", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const write = (name: string, text: string) => {
    const file = path.join(temp.dir, name);
    writeFileSync(file, text);
    return file;
  };
  beforeEach(() => {
    temp = makeTempDir();
    mkdirSync(path.join(temp.dir, "repo"));
    writeFileSync(path.join(temp.dir, "repo", "schema.sql"), "create table t(x);");
  });
  afterEach(() => temp.cleanup());

  it("reads YAML with defaults, resolving dirs against the file and files against the dir", () => {
    const file = write(
      "tasks.yaml",
      `defaults:\n  dir: repo\n  model: a/b\n  timeout: 2m\ntasks:\n  - id: t1\n    prompt: first\n    files: [schema.sql]\n  - id: t1.1\n    prompt: second\n    title: Second\n    agent: plan\n    model: c/d\n    timeout: 30\n    dependsOn: [t1]\n`,
    );
    const specs = readTaskFile(file, defaults);
    assert.deepEqual(specs[0], {
      id: "t1",
      prompt: "first\n".trim(),
      title: "t1",
      dir: path.join(temp.dir, "repo"),
      model: "a/b",
      files: [path.join(temp.dir, "repo", "schema.sql")],
      timeoutMs: 120_000,
      dependsOn: [],
    });
    assert.equal(specs[1]?.agent, "plan");
    assert.equal(specs[1]?.model, "c/d");
    assert.equal(specs[1]?.timeoutMs, 30_000);
    assert.deepEqual(specs[1]?.dependsOn, ["t1"]);
  });

  it("reads JSON too", () => {
    const file = write("tasks.json", JSON.stringify({ tasks: [{ id: "a", prompt: "hi", dir: "repo" }] }));
    assert.equal(readTaskFile(file, defaults)[0]?.id, "a");
  });

  const badInputs: { name: string; file: string; text: string; expect: RegExp[] }[] = [
    {
      name: "malformed YAML",
      file: "t.yaml",
      text: "tasks:\n  - id: a\n   prompt: [unclosed\n",
      expect: [/line \d+/],
    },
    { name: "malformed JSON", file: "t.json", text: "{ tasks: ", expect: [/not valid JSON/] },
    {
      name: "unknown field",
      file: "t.yaml",
      text: "tasks:\n  - id: a\n    prompt: x\n    dir: repo\n    promt: typo\n",
      expect: [/tasks\[0\]: unknown field\(s\): promt/],
    },
    {
      name: "unknown top-level field",
      file: "t.yaml",
      text: "task: []\n",
      expect: [/unknown field\(s\): task/, /tasks: /],
    },
    {
      name: "missing prompt",
      file: "t.yaml",
      text: "tasks:\n  - id: a\n    dir: repo\n",
      expect: [/tasks\[0\]\.prompt/],
    },
    {
      name: "empty prompt",
      file: "t.yaml",
      text: "tasks:\n  - id: a\n    prompt: '  '\n    dir: repo\n",
      expect: [/tasks\[0\]\.prompt: `prompt` must not be empty/],
    },
    {
      name: "duplicate id",
      file: "t.yaml",
      text: "defaults: {dir: repo}\ntasks:\n  - {id: a, prompt: x}\n  - {id: a, prompt: y}\n",
      expect: [/tasks\[1\]\.id: duplicate id "a" \(first at tasks\[0\]\)/],
    },
    {
      name: "bad id",
      file: "t.yaml",
      text: "defaults: {dir: repo}\ntasks:\n  - {id: 'a b', prompt: x}\n",
      expect: [/tasks\[0\]\.id/],
    },
    {
      name: "dependency cycle",
      file: "t.yaml",
      text: "defaults: {dir: repo}\ntasks:\n  - {id: a, prompt: x, dependsOn: [c]}\n  - {id: b, prompt: y, dependsOn: [a]}\n  - {id: c, prompt: z, dependsOn: [b]}\n",
      expect: [/dependency cycle: a → c → b → a/],
    },
    {
      name: "dangling dependency",
      file: "t.yaml",
      text: "defaults: {dir: repo}\ntasks:\n  - {id: a, prompt: x, dependsOn: [ghost]}\n",
      expect: [/tasks\[0\]\.dependsOn\[0\]: unknown task "ghost"/],
    },
    {
      name: "self dependency",
      file: "t.yaml",
      text: "defaults: {dir: repo}\ntasks:\n  - {id: a, prompt: x, dependsOn: [a]}\n",
      expect: [/depends on itself/],
    },
    {
      name: "missing dir",
      file: "t.yaml",
      text: "tasks:\n  - {id: a, prompt: x, dir: nowhere}\n",
      expect: [/tasks\[0\]\.dir: directory does not exist: .*nowhere/],
    },
    {
      name: "missing attached file",
      file: "t.yaml",
      text: "tasks:\n  - {id: a, prompt: x, dir: repo, files: [gone.txt]}\n",
      expect: [/tasks\[0\]\.files\[0\]: file does not exist/],
    },
    {
      name: "bad model",
      file: "t.yaml",
      text: "tasks:\n  - {id: a, prompt: x, dir: repo, model: gpt}\n",
      expect: [/tasks\[0\]\.model: `model` must be "provider\/model"/],
    },
    {
      name: "bad timeout",
      file: "t.yaml",
      text: "tasks:\n  - {id: a, prompt: x, dir: repo, timeout: soon}\n",
      expect: [/tasks\[0\]\.timeout: "soon" is not a duration/],
    },
    {
      name: "a timeout over 30 days",
      file: "t.yaml",
      text: "tasks:\n  - {id: a, prompt: x, dir: repo, timeout: 900h}\n",
      expect: [/tasks\[0\]\.timeout: "900h" is longer than the maximum duration of 30 days \("720h"\)/],
    },
    {
      name: "a YAML alias bomb",
      file: "t.yaml",
      text: [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        ..."bcdefghi".split("").map((name, i) => {
          const previous = `*${"abcdefgh"[i]}`;
          return `${name}: &${name} [${Array(9).fill(previous).join(", ")}]`;
        }),
        "tasks:",
        "  - {id: a, prompt: *i, dir: repo}",
      ].join("\n"),
      expect: [/YAML aliases expand too far \(more than 1000 uses of anchored values/, /billion laughs/],
    },
    {
      name: "no tasks",
      file: "t.yaml",
      text: "tasks: []\n",
      expect: [/tasks: `tasks` must list at least one task/],
    },
  ];
  for (const bad of badInputs) {
    it(`rejects ${bad.name}, naming file and field`, () => {
      const file = write(bad.file, bad.text);
      try {
        readTaskFile(file, defaults);
        assert.fail("expected bad input");
      } catch (error) {
        assert.ok(error instanceof DroverError, String(error));
        assert.equal(error.code, "bad_input");
        assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
        for (const pattern of bad.expect) assert.match(error.message, pattern);
      }
    });
  }

  it("accepts an anchored prompt reused by 200 tasks", () => {
    const tasks = Array.from({ length: 199 }, (_, i) => `  - {id: t${i + 1}, prompt: *shared}`);
    const file = write(
      "t.yaml",
      ["defaults: {dir: repo}", "tasks:", "  - {id: t0, prompt: &shared Do the thing}", ...tasks].join("\n"),
    );
    const specs = readTaskFile(file, defaults);
    assert.equal(specs.length, 200);
    assert.equal(specs[199]?.prompt, "Do the thing");
  });

  it("reports several problems in one go", () => {
    const file = write(
      "t.yaml",
      "tasks:\n  - {id: a, prompt: x, dir: nowhere}\n  - {id: a, prompt: y, dir: repo, dependsOn: [zz]}\n",
    );
    assert.throws(
      () => readTaskFile(file, defaults),
      (error: unknown) => error instanceof DroverError && error.issues.length === 3,
    );
  });
});
