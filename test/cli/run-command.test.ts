import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The documented shape of results.json. */
const ResultsFile = z.object({
  batch: z
    .object({
      id: z.string(),
      source: z.string(),
      durationMs: z.number(),
      counts: z.record(z.string(), z.number()),
      ok: z.boolean(),
    })
    .loose(),
  tasks: z.array(
    z
      .object({
        id: z.string(),
        status: z.enum(["succeeded", "failed", "blocked", "timed_out", "cancelled"]),
        outcome: z.object({ outcome: z.string(), summary: z.string() }).loose().optional(),
        sessionId: z.string().optional(),
        tokens: z.object({ input: z.number(), output: z.number() }).loose(),
        cost: z.number(),
        durationMs: z.number(),
        filesChanged: z.array(z.string()),
      })
      .loose(),
  ),
});

describe("drover run (the CLI, as a user runs it)", () => {
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

  it("runs the quickstart: JSON lines, results.json, exit 0", async () => {
    const example = path.join(temp.dir, "quickstart");
    cpSync(path.join(repo, "examples", "quickstart"), example, { recursive: true });
    const run = runDrover(["run", "quickstart/tasks.yaml", "--json", "--state-dir", stateDir], {
      cwd: temp.dir,
    });
    const code = await run.exited;
    assert.equal(code, 0, run.stderr());
    const lines = run
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string });
    assert.ok(lines.some((line) => line.type === "task.state"));
    assert.equal(lines.at(-1)?.type, "batch.results");
    assert.match(run.stderr(), /5 tasks in .*: 5 succeeded/);
    const results = ResultsFile.parse(JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")));
    assert.equal(results.tasks.length, 5);
    assert.ok(results.tasks.every((task) => task.status === "succeeded"));
    for (const file of ["hello.txt", "NOTES.md", "inventory.txt", "checksum.txt", "report.txt"]) {
      assert.ok(existsSync(path.join(example, "out", file)), `${file} written`);
    }
    assert.equal(readFileSync(path.join(example, "out", "hello.txt"), "utf8"), "Hello from drover!\n");
  });

  it("runs -p prompts and exits 1 when a task fails", async () => {
    const run = runDrover(
      [
        "run",
        "-p",
        "[[reply fine]]",
        "[[error 401]] broken",
        "--json",
        "--state-dir",
        stateDir,
        "--out",
        "out.json",
      ],
      { cwd: temp.dir },
    );
    assert.equal(await run.exited, 1, run.stderr());
    const results = ResultsFile.parse(JSON.parse(readFileSync(path.join(temp.dir, "out.json"), "utf8")));
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status]),
      [
        ["p1", "succeeded"],
        ["p2", "failed"],
      ],
    );
  });

  it("exits 2 on bad input, naming file and field, and runs nothing", async () => {
    const file = path.join(temp.dir, "tasks.yaml");
    writeFileSync(file, "tasks:\n  - id: a\n    prompt: hi\n  - id: a\n    promt: typo\n");
    const run = runDrover(["run", "tasks.yaml", "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} tasks\\[1\\]`));
    assert.match(run.stderr(), /unknown field\(s\): promt/);
    assert.equal(existsSync(path.join(temp.dir, "results.json")), false);
    assert.equal(existsSync(stateDir), false, "nothing was started or stored");
  });

  it("checks -o before running: a results path in a missing folder or on a directory exits 2 at once", async () => {
    for (const out of [path.join(temp.dir, "missing", "results.json"), temp.dir]) {
      const run = runDrover(["run", "-p", "hello", "-o", out, "--state-dir", stateDir], { cwd: temp.dir });
      assert.equal(await run.exited, 2, run.stderr());
      assert.match(run.stderr(), /-o\/--out: cannot write/);
      assert.equal(existsSync(stateDir), false, "nothing was started or stored");
    }
  });

  it("exits 2 on an unknown model after checking with OpenCode, before running anything", async () => {
    const run = runDrover(
      ["run", "-p", "hello", "--model", "drover/missing", "--json", "--state-dir", stateDir],
      {
        cwd: temp.dir,
      },
    );
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /unknown model "drover\/missing"/);
    const last = JSON.parse(run.stdout().trim().split("\n").at(-1) ?? "{}") as {
      type?: string;
      code?: string;
    };
    assert.deepEqual([last.type, last.code], ["error", "bad_input"]);
    assert.doesNotMatch(run.stdout(), /"batch.created"/);
  });

  it("exits 2 on a bad config value", async () => {
    writeFileSync(path.join(temp.dir, "drover.json"), JSON.stringify({ capacity: { maxWorkers: -1 } }));
    const run = runDrover(["run", "-p", "hello", "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /drover\.json capacity\.maxWorkers/);
  });

  it("on Ctrl-C aborts running sessions, marks tasks cancelled and exits cleanly", async () => {
    const run = runDrover(
      [
        "run",
        "-p",
        "[[slow 500]] [[reply a b c d e f g h i j k l m n o p]]",
        "[[slow 500]] [[reply q r s t u v w x y z]]",
        "--json",
        "--concurrency",
        "1",
        "--state-dir",
        stateDir,
      ],
      { cwd: temp.dir },
    );
    await run.waitForOutput(/"liveness":"thinking"/);
    run.child.kill("SIGINT");
    assert.equal(await run.exited, 130, run.stderr());
    const results = ResultsFile.parse(JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")));
    assert.deepEqual(
      results.tasks.map((task) => task.status),
      ["cancelled", "cancelled"],
    );
  });
});
