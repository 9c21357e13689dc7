import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

interface Listed {
  batch: { id: string };
  tasks: { id: string; status: string; attempts: number; reason?: string }[];
}

describe("submit -p, wait, logs -f and retry BATCH against a running daemon", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  let daemon: CliRun;
  const start = (...args: string[]) => runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
  const cli = async (...args: string[]) => {
    const run = start(...args);
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  const submit = async (...args: string[]) => {
    const submitted = await cli("submit", ...args, "--json");
    assert.equal(submitted.code, 0, submitted.err);
    return JSON.parse(submitted.out) as { batchId: string; created: string[] };
  };

  before(async () => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ capacity: { ramReserveMb: 0 }, stagger: { gapMs: 0 } }),
    );
    daemon = start("daemon", "--port", "0");
    await daemon.waitForOutput(/listening on/);
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0);
    assert.deepEqual(processesOwnedBy(path.join(stateDir, "engines", "opencode")), []);
    temp.cleanup();
  });

  it("submit -p queues one task per prompt in --dir; wait exits 0 once they all succeeded", async () => {
    mkdirSync(path.join(temp.dir, "work"));
    const { batchId, created } = await submit(
      "-p",
      "[[write made.txt hi]] [[reply made it]]",
      "[[reply second]]",
      "--dir",
      "work",
    );
    assert.deepEqual(created, ["p1", "p2"]);
    const waited = await cli("wait", batchId);
    assert.equal(waited.code, 0, waited.err);
    assert.match(waited.out, /p1\s+succeeded\s+1\s+.*made it/);
    assert.match(waited.out, /p2\s+succeeded/);
    assert.equal(readFileSync(path.join(temp.dir, "work", "made.txt"), "utf8"), "hi\n");

    // The daemon answers the task views too: show has the tool call from the stored transcript.
    const shown = await cli("show", `${batchId}/p1`);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /files:\s+made\.txt/);
    assert.match(shown.out, /→ write filePath="made\.txt"/);
  });

  it("logs -f ends by itself when the batch it follows ends", async () => {
    // p1 hangs until cancelled, so the batch is still running while logs -f follows it.
    const { batchId } = await submit("-p", "[[hang]]", "[[reply quick]]");
    const follow = start("logs", batchId, "-f", "--no-progress");
    await follow.waitForOutput(/p2 running → succeeded/);
    await follow.waitForOutput(/p1 ready → running/);
    assert.equal(follow.child.exitCode, null, "still following: p1 runs");
    assert.equal((await cli("cancel", `${batchId}/p1`)).code, 0);
    assert.equal(await follow.exited, 0, follow.stderr());
    const out = follow.stdout();
    assert.match(out, /p1 running → cancelled/);
    assert.match(out.trim().split("\n").at(-1) ?? "", /batch\.finished/, "the batch's end is the last line");
    assert.doesNotMatch(out, /attempt\.progress/);
  });

  it("wait exits 1 when a task fails; retry BATCH runs every failed task again and says which", async () => {
    const { batchId } = await submit("-p", "[[reply fine]]", "[[error 401]]");
    const waited = await cli("wait", batchId);
    assert.equal(waited.code, 1);
    assert.match(waited.out, /p2\s+failed\s+1\s+.*Invalid API key/);

    const retried = await cli("retry", batchId, "--json");
    assert.equal(retried.code, 0, retried.err);
    assert.deepEqual((JSON.parse(retried.out) as { retried: string[] }).retried, ["p2"]);
    assert.equal((await cli("wait", batchId)).code, 1, "the 401 fails again");

    const single = await cli("retry", `${batchId}/p2`);
    assert.equal(single.code, 0, single.err);
    assert.match(single.out, /p2 queued again/);
    assert.equal((await cli("wait", batchId)).code, 1);
    const listed = JSON.parse((await cli("ls", batchId, "--json")).out) as Listed;
    assert.deepEqual(
      listed.tasks.map((task) => [task.id, task.status, task.attempts]),
      [
        ["p1", "succeeded", 1],
        ["p2", "failed", 3],
      ],
    );
    const succeeded = await submit("-p", "[[reply ok]]");
    assert.equal((await cli("wait", succeeded.batchId)).code, 0);
    const nothing = await cli("retry", succeeded.batchId);
    assert.equal(nothing.code, 0, nothing.err);
    assert.match(nothing.out, /nothing to retry/);
  });

  it("wait --timeout gives up with its own message and exit 1", async () => {
    const { batchId } = await submit("-p", "[[hang]]");
    const waited = await cli("wait", batchId, "--timeout", "1s");
    assert.equal(waited.code, 1);
    assert.match(
      waited.err,
      new RegExp(`timed out after 1\\.0s waiting for batch ${batchId}: 1 task\\(s\\) not finished \\(p1 `),
    );
    assert.equal((await cli("cancel", batchId)).code, 0);
    const cancelled = await cli("wait", batchId);
    assert.equal(cancelled.code, 1);
    assert.match(cancelled.out, /p1\s+cancelled/);
  });

  it("logs, wait and retry name a batch or task that does not exist", async () => {
    for (const [args, message] of [
      [["logs", "bat_nonexistent"], /no batch bat_nonexistent/],
      [["logs", "bat_nonexistent/p1", "-f"], /no task bat_nonexistent\/p1/],
      [["wait", "bat_nonexistent"], /no batch bat_nonexistent/],
      [["retry", "bat_nonexistent"], /no batch bat_nonexistent/],
      [["ls", "bat_nonexistent"], /no batch bat_nonexistent/],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.err, message, args.join(" "));
    }
  });
});
