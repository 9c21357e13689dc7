import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

interface Results {
  batch: { id: string; ok: boolean };
  tasks: { id: string; status: string; attempts: number }[];
}

describe("a drover run killed with -9 is finished by running it again with --resume", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  before(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "tasks:",
        "  - id: slow",
        '    prompt: "[[bash sleep 6 && echo done > fin.txt]] [[reply slow done]]"',
        "  - id: after",
        '    prompt: "[[reply after done]]"',
        "    dependsOn: [slow]",
        "",
      ].join("\n"),
    );
  });
  after(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    for (const pid of left) process.kill(pid, "SIGKILL");
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives the resumed run");
  });

  it("follows the live session, lets its tool finish, runs the rest, and runs nothing twice", {
    timeout: 180_000,
  }, async () => {
    const first = runDrover(["run", "tasks.yaml", "--json", "--state-dir", stateDir], { cwd: temp.dir });
    await first.waitForOutput(/"liveness":"in_tool"/);
    const batchId = /"batch.created","batchId":"(bat_[^"]+)"/.exec(first.stdout())?.[1];
    assert.ok(batchId, "the first run created its batch");
    first.child.kill("SIGKILL");
    await first.exited;

    // A script waiting on the batch is told it will not finish by itself, instead of hanging.
    const wait = runDrover(["wait", batchId, "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await wait.exited, 1, wait.stderr());
    assert.match(wait.stderr(), new RegExp(`drover resume ${batchId}`));

    const resumed = runDrover(["run", "tasks.yaml", "--resume", "--json", "--state-dir", stateDir], {
      cwd: temp.dir,
    });
    assert.equal(await resumed.exited, 0, resumed.stderr());
    assert.match(resumed.stdout(), /"supervisor.recovered"[^\n]*"action":"readopted"/);
    assert.ok(existsSync(path.join(temp.dir, "fin.txt")), "the tool of the killed run finished its work");
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as Results;
    assert.equal(results.batch.id, batchId, "the same batch, not a new one");
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status, task.attempts]),
      [
        ["slow", "succeeded", 1],
        ["after", "succeeded", 1],
      ],
    );
  });

  it("refuses to resume a finished batch, and --resume with nothing to resume", async () => {
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as Results;
    const again = runDrover(["resume", results.batch.id, "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await again.exited, 1);
    assert.match(again.stderr(), /has finished; nothing to resume/);
    const none = runDrover(["run", "tasks.yaml", "--resume", "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await none.exited, 2);
    assert.match(none.stderr(), /no unfinished batch of .*tasks\.yaml whose drover run died/);
  });
});
