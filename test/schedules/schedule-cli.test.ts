import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";

interface Firing {
  key: string;
  slot: number;
  status: string;
  trigger: string;
  batchId?: string;
  reason?: string;
}
interface ScheduleView {
  name: string;
  timezone: string;
  paused: boolean;
  next: number | null;
}

describe("drover schedule against a real daemon (scripted model)", { timeout: 300_000 }, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  let daemon: CliRun;
  const startDaemon = async () => {
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", stateDir], { cwd: temp.dir });
    await daemon.waitForOutput(/listening on/);
  };
  const stopDaemon = async () => {
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0, daemon.stderr());
  };
  const cli = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  const json = async <T>(...args: string[]): Promise<T> => {
    const run = await cli(...args, "--json");
    assert.equal(run.code, 0, `${args.join(" ")}: ${run.err}`);
    return JSON.parse(run.out) as T;
  };
  const history = async (name: string) =>
    (await json<{ firings: Firing[] }>("schedule", "history", name, "--limit", "1000")).firings;

  before(async () => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    mkdirSync(path.join(temp.dir, "work"));
    await startDaemon();
  });
  after(async () => {
    if (daemon.child.exitCode === null) await stopDaemon();
    assert.deepEqual(processesOwnedBy(path.join(stateDir, "engines", "opencode")), []);
    temp.cleanup();
  });

  it("refuses a bad cron expression or time zone with exit 2, naming it", async () => {
    const badCron = await cli("schedule", "add", "bad", "--cron", "61 * * * *", "--prompt", "hi");
    assert.equal(badCron.code, 2);
    assert.match(badCron.err, /"61 \* \* \* \*" is not a valid cron expression/);
    const badZone = await cli(
      "schedule",
      "add",
      "bad",
      "--cron",
      "0 9 * * *",
      "--tz",
      "Mars/Olympus",
      "--prompt",
      "hi",
      "--json",
    );
    assert.equal(badZone.code, 2);
    const error = JSON.parse(badZone.out) as { type: string; code: string; issues: { path: string }[] };
    assert.deepEqual([error.type, error.code, error.issues[0]?.path], ["error", "bad_input", "timezone"]);
    assert.match(badZone.err, /unknown time zone "Mars\/Olympus"/);
    const badName = await cli("schedule", "add", "9lives", "--cron", "0 9 * * *", "--prompt", "hi");
    assert.equal(badName.code, 2);
    const missingFile = await cli("schedule", "add", "f", "--cron", "0 9 * * *", "--file", "nope.yaml");
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.err, /nope\.yaml/);
    assert.deepEqual((await json<{ schedules: unknown[] }>("schedule", "list")).schedules, []);
  });

  it("add, list, status, pause, resume, run (a batch that completes), history and rm, each with --json", async () => {
    const added = await json<{ name: string; timezone: string; next: number }>(
      "schedule",
      "add",
      "nightly",
      "--cron",
      "0 3 * * *",
      "--tz",
      "Europe/Berlin",
      "--prompt",
      "[[reply scheduled work done]]",
      "--dir",
      "work",
    );
    assert.equal(added.timezone, "Europe/Berlin");
    assert.ok(added.next > Date.now());
    assert.match(new Date(added.next).toISOString(), /T0[12]:00:00\.000Z$/, "03:00 in Berlin");
    const listed = (await json<{ schedules: ScheduleView[] }>("schedule", "list")).schedules;
    assert.deepEqual(
      listed.map((s) => s.name),
      ["nightly"],
    );
    const status = await json<{ schedules: { name: string; next: number | null }[] }>("status");
    assert.deepEqual(status.schedules, [
      { name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", paused: false, next: added.next },
    ]);
    const text = await cli("status");
    assert.match(text.out, new RegExp(`nightly\\s+next ${new Date(added.next).toISOString()}`));

    const paused = await json<ScheduleView>("schedule", "pause", "nightly");
    assert.deepEqual([paused.paused, paused.next], [true, null]);
    const resumed = await json<ScheduleView>("schedule", "resume", "nightly");
    assert.deepEqual([resumed.paused, resumed.next], [false, added.next]);

    const fired = await json<Firing>("schedule", "run", "nightly");
    assert.deepEqual([fired.status, fired.trigger], ["fired", "manual"]);
    assert.match(fired.key, /^nightly@\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const waited = await cli("wait", fired.batchId as string, "--timeout", "2m");
    assert.equal(waited.code, 0, `${waited.out}\n${waited.err}`);
    const task = await json<{ task: { state: string; spec: { dir: string } } }>(
      "show",
      `${fired.batchId}/nightly`,
    );
    assert.equal(task.task.state, "succeeded");
    assert.equal(task.task.spec.dir, path.join(temp.dir, "work"));

    const firings = await history("nightly");
    assert.deepEqual(
      firings.map((f) => [f.key, f.batchId]),
      [[fired.key, fired.batchId]],
    );

    assert.deepEqual(await json("schedule", "rm", "nightly"), { removed: "nightly" });
    const gone = await cli("schedule", "history", "nightly");
    assert.equal(gone.code, 1);
    assert.match(gone.err, /no schedule named "nightly"/);
  });

  it("a runner schedule runs its prompt as the runner", async () => {
    const runnerCreated = await cli("runner", "create", "helper", "--no-check", "--dir", "work");
    assert.equal(runnerCreated.code, 0, runnerCreated.err);
    await json(
      "schedule",
      "add",
      "helping",
      "--cron",
      "0 3 * * *",
      "--tz",
      "UTC",
      "--runner",
      "helper",
      "--prompt",
      "[[reply helped]]",
    );
    const fired = await json<Firing>("schedule", "run", "helping");
    assert.equal(fired.status, "fired", fired.reason);
    assert.equal((await cli("wait", fired.batchId as string, "--timeout", "2m")).code, 0);
    const runner = await json<{ runs: { batchId?: string; status: string }[] }>("runner", "status", "helper");
    assert.deepEqual(
      runner.runs.map((run) => [run.batchId, run.status]),
      [[fired.batchId, "succeeded"]],
    );
    await json("schedule", "rm", "helping");
  });

  it("a seconds-level schedule fires on its slots, once each, across a daemon restart", async () => {
    await json(
      "schedule",
      "add",
      "tick",
      "--cron",
      "*/2 * * * * *",
      "--prompt",
      "[[reply tick]]",
      "--overlap",
      "allow",
    );
    const fired = async () => (await history("tick")).filter((f) => f.status === "fired");
    await waitFor(async () => (await fired()).length >= 1, 60_000);
    await stopDaemon();
    await startDaemon();
    const before = (await fired()).length;
    await waitFor(async () => (await fired()).length > before, 60_000);
    await json("schedule", "pause", "tick");
    const firings = await history("tick");
    const keys = firings.map((f) => f.key);
    assert.equal(new Set(keys).size, keys.length, "one record per slot");
    for (const firing of firings) {
      assert.equal(firing.slot % 2000, 0, "on the 2 s slots");
      assert.equal(firing.key, `tick@${new Date(firing.slot).toISOString()}`);
    }
    const batches = (await json<{ batches: { id: string; source: string }[] }>("status")).batches;
    const scheduled = (await fired()).map((f) => f.batchId);
    assert.equal(new Set(scheduled).size, scheduled.length, "one batch per fired slot");
    for (const id of scheduled) {
      const found = batches.find((b) => b.id === id);
      if (found) assert.equal(found.source, "schedule:tick");
    }
    await json("schedule", "rm", "tick");
  });

  it("without a daemon: add and list work on the state dir; run says a daemon is needed", async () => {
    const other = makeTempDir();
    try {
      writeFileSync(path.join(other.dir, "tasks.yaml"), "tasks:\n  - { id: a, prompt: hi }\n");
      const offline = async (...args: string[]) => {
        const run = runDrover([...args, "--state-dir", path.join(other.dir, "state")], { cwd: other.dir });
        return { code: await run.exited, out: run.stdout(), err: run.stderr() };
      };
      const added = await offline(
        "schedule",
        "add",
        "later",
        "--cron",
        "0 3 * * *",
        "--file",
        "tasks.yaml",
        "--json",
      );
      assert.equal(added.code, 0, added.err);
      assert.equal((JSON.parse(added.out) as { file: string }).file, path.join(other.dir, "tasks.yaml"));
      const listed = await offline("schedule", "list");
      assert.match(listed.out, /^later {2}"0 3 \* \* \*"/);
      const run = await offline("schedule", "run", "later");
      assert.equal(run.code, 1);
      assert.match(run.err, /needs the drover daemon/);
    } finally {
      other.cleanup();
    }
  });
});
