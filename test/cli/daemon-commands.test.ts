import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("drover plan, and the daemon's client commands", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let daemon: CliRun;
  const cli = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  before(async () => {
    temp = makeTempDir();
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "strategy: breadth-first",
        "tasks:",
        "  - { id: a.1, prompt: '[[reply a1]]' }",
        "  - { id: a.2, prompt: '[[reply a2]]' }",
        "  - { id: b.1, prompt: '[[reply b1]]' }",
        "  - { id: c, prompt: '[[reply c]]', dependsOn: [a.1, b.1], idempotencyKey: key-c }",
      ].join("\n"),
    );
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", path.join(temp.dir, "state")], {
      cwd: temp.dir,
    });
    await daemon.waitForOutput(/listening on/);
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0);
    assert.deepEqual(processesOwnedBy(path.join(temp.dir, "state", "engines", "opencode")), []);
    temp.cleanup();
  });

  it("plan prints the rounds without running anything", async () => {
    const text = await cli("plan", "tasks.yaml", "--concurrency", "2");
    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      /4 tasks, breadth-first, 2 slot\(s\): 3 round\(s\)\nround 1: a\.1, b\.1\nround 2: a\.2, c\nround 3:|round 2: a\.2, c/,
    );
    const json = JSON.parse(
      (await cli("plan", "tasks.yaml", "--json", "--strategy", "depth-first", "-c", "2")).out,
    ) as { rounds: string[][] };
    assert.deepEqual(json.rounds, [["a.1", "a.2"], ["b.1"], ["c"]]);
  });

  it("submit, status, logs and cancel talk to the daemon; a repeated idempotency key is skipped", async () => {
    const submitted = await cli("submit", "tasks.yaml", "--json");
    assert.equal(submitted.code, 0, submitted.err);
    const { batchId, created } = JSON.parse(submitted.out) as { batchId: string; created: string[] };
    assert.equal(created.length, 4);
    const again = JSON.parse((await cli("submit", "tasks.yaml", "--json")).out) as {
      created: string[];
      existing: { taskId: string }[];
    };
    assert.deepEqual(
      again.existing.map((e) => e.taskId),
      ["c"],
    );
    assert.equal(again.created.length, 3);

    const status = JSON.parse((await cli("status", "--json")).out) as {
      capacity: { slots: number };
      batches: { id: string }[];
    };
    assert.ok(status.capacity.slots >= 1);
    assert.ok(status.batches.some((b) => b.id === batchId));

    const follow = runDrover(["logs", batchId, "-f", "--json", "--state-dir", path.join(temp.dir, "state")], {
      cwd: temp.dir,
    });
    await follow.waitForOutput(/"batch\.finished"/);
    follow.child.kill("SIGINT");
    await follow.exited;
    const logs = await cli("logs", batchId);
    assert.equal(logs.code, 0);
    assert.match(logs.out, /task\.state\s+\S+\/c running → succeeded/);

    const cancelled = await cli("cancel", batchId);
    assert.equal(cancelled.code, 1, "a finished batch is no longer running");
    assert.match(cancelled.err, /no running batch/);
  });

  it("client commands fail clearly when no daemon runs", async () => {
    const other = makeTempDir();
    const run = runDrover(["status"], { cwd: other.dir });
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /no drover daemon is running/);
    other.cleanup();
  });
});
