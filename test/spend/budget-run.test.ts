import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The spend governor through `drover run` with the real OpenCode and the scripted model, priced in
// drover.json so that its usage costs something: `[[tokens IN OUT]]` makes each request's cost exact.

interface TaskLine {
  id: string;
  status: string;
  reason?: string;
  attempts: number;
  cost: number;
  sessionId?: string;
}

describe("the spend governor (drover run, real OpenCode)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
  });
  afterEach(() => {
    assert.deepEqual(processesOwnedBy(path.join(stateDir, "engines", "opencode")), []);
    temp.cleanup();
  });

  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  const results = () =>
    JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
      batch: { id: string };
      tasks: TaskLine[];
    };
  const config = (budget: object) =>
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ prices: { "drover/scripted": { input: 10, output: 10 } }, budget }),
    );

  it("stops a batch at its budget with the rest parked, nothing over budget, and goes on when given more", async () => {
    // $0.01 per attempt (1,000 input tokens at $10 per million); the batch may spend $0.025.
    config({ estimate: 0.01 });
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "budget: 0.025",
        "tasks:",
        ...["a", "b", "c", "d"].map(
          (id) => `  - { id: ${id}, prompt: "[[tokens 1000 0]] [[reply done ${id}]]" }`,
        ),
      ].join("\n"),
    );
    const first = await drover("run", "tasks.yaml", "-c", "4", "--json");
    assert.equal(first.code, 1, first.err);
    const stopped = results();
    const states = stopped.tasks.map((task) => task.status).sort();
    assert.deepEqual(states, ["parked", "parked", "succeeded", "succeeded"]);
    for (const task of stopped.tasks.filter((t) => t.status === "parked")) {
      assert.match(task.reason ?? "", /^budget: launching would pass the batch budget/);
      assert.equal(task.attempts, 0, "a parked task never started");
    }
    assert.match(first.err, new RegExp(`drover resume ${stopped.batch.id} --budget USD`));
    const spent = JSON.parse((await drover("spend", "--by", "batch", "--json")).out) as {
      total: number;
      rows: { key: string; spent: number; attempts: number }[];
    };
    assert.ok(spent.total <= 0.025, `spent ${spent.total}`);
    assert.equal(spent.rows[0]?.attempts, 2);
    const inbox = JSON.parse((await drover("inbox", "--json")).out) as {
      items: { kind: string; taskId: string }[];
    };
    assert.deepEqual(
      inbox.items
        .filter((item) => item.kind === "budget")
        .map((item) => item.taskId)
        .sort(),
      ["c", "d"],
    );

    const resumed = await drover("resume", stopped.batch.id, "--budget", "1", "--json");
    assert.equal(resumed.code, 0, resumed.err);
    assert.deepEqual(
      results().tasks.map((task) => task.status),
      ["succeeded", "succeeded", "succeeded", "succeeded"],
    );
    const after = JSON.parse((await drover("inbox", "--json")).out) as { items: { kind: string }[] };
    assert.equal(after.items.filter((item) => item.kind === "budget").length, 0, "budget items resolved");
  });

  it("stops a running attempt that passes the task cap, keeping its session, and records why", async () => {
    // Each model request costs $1; the task may spend $1.50: the second request passes the cap.
    config({ task: 1.5 });
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      'tasks:\n  - { id: big, prompt: "[[tokens 100000 0]] [[bash echo one]] [[bash echo two]] [[bash echo three]] [[reply done]]" }\n',
    );
    const run = await drover("run", "tasks.yaml", "--json");
    assert.equal(run.code, 1, run.err);
    const [task] = results().tasks;
    assert.equal(task?.status, "parked");
    assert.match(
      task?.reason ?? "",
      /^budget: stopped at the task budget of \$1\.50 \(this attempt has cost \$2\.00/,
    );
    assert.equal(task?.attempts, 1);
    assert.ok(task?.sessionId, "its session is kept to continue in");
    const shown = JSON.parse((await drover("show", `${results().batch.id}/big`, "--json")).out) as {
      attempts: { status: string; failure?: { type: string } }[];
    };
    assert.equal(shown.attempts[0]?.status, "cancelled");
    assert.equal(shown.attempts[0]?.failure?.type, "budget");
    const spent = JSON.parse((await drover("spend", "--by", "task", "--json")).out) as { total: number };
    assert.equal(spent.total, 2, "the attempt settled to what it cost");
  });
});
