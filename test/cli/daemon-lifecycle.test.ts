import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { findProjectRoot } from "../../src/config/load.ts";
import { isProcessAlive } from "../../src/core/process-alive.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A stopped daemon may stay a zombie until init reaps it: that counts as gone. */
const alive = isProcessAlive;

describe("finding the daemon: project root, --detach, busy port, daemon stop", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let project: string;
  let deep: string;
  let daemonPid = 0;
  before(() => {
    temp = makeTempDir();
    project = path.join(temp.dir, "project");
    deep = path.join(project, "src", "deep");
    mkdirSync(deep, { recursive: true });
    writeFileSync(path.join(project, "drover.json"), JSON.stringify({ capacity: { ramReserveMb: 0 } }));
  });
  after(() => {
    if (daemonPid && alive(daemonPid)) process.kill(daemonPid, "SIGKILL");
    const left = processesOwnedBy(path.join(project, ".drover", "engines", "opencode"));
    for (const pid of left) process.kill(pid, "SIGKILL");
    temp.cleanup();
    assert.deepEqual(left, []);
  });

  it("uses the project's state dir from a subdirectory, as git does", async () => {
    const run = runDrover(
      ["memory", "store", "--namespace", "n", "--content", "found from below", "--json"],
      {
        cwd: deep,
      },
    );
    assert.equal(await run.exited, 0, run.stderr());
    assert.ok(existsSync(path.join(project, ".drover", "drover.db")), "the project's .drover");
    assert.equal(existsSync(path.join(deep, ".drover")), false, "no state dir in the subdirectory");
  });

  it("--detach starts the daemon in the background with a pid file and a log, and prints where", {
    timeout: 120_000,
  }, async () => {
    const run = runDrover(["daemon", "--detach", "--port", "0", "--json"], { cwd: project });
    assert.equal(await run.exited, 0, run.stderr());
    const started = JSON.parse(run.stdout().trim()) as {
      pid: number;
      url: string;
      logFile: string;
      pidFile: string;
    };
    daemonPid = started.pid;
    assert.ok(alive(started.pid));
    assert.equal(started.logFile, path.join(project, ".drover", "daemon.log"));
    assert.equal(readFileSync(started.pidFile, "utf8").trim(), String(started.pid));
    assert.match(readFileSync(started.logFile, "utf8"), /listening on/);
    // Client commands find it from a subdirectory.
    const status = runDrover(["status", "--json"], { cwd: deep });
    assert.equal(await status.exited, 0, status.stderr());
  });

  it("drover run hands its batch to the running daemon and follows it to the same results and exit code", {
    timeout: 120_000,
  }, async () => {
    const run = runDrover(
      ["run", "-p", "[[reply handed over]]", "[[error 401]]", "--json", "-o", "out.json"],
      {
        cwd: deep,
      },
    );
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /handing the batch to the daemon at http:\/\/127\.0\.0\.1:\d+/);
    const lines = run
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string });
    assert.ok(
      lines.some((line) => line.type === "task.state"),
      "the live events were followed",
    );
    assert.equal(
      lines.filter((line) => line.type === "engine.server").length,
      0,
      "no OpenCode server of its own",
    );
    assert.equal(lines.at(-1)?.type, "batch.results");
    const results = JSON.parse(readFileSync(path.join(deep, "out.json"), "utf8")) as {
      tasks: { id: string; status: string }[];
    };
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status]),
      [
        ["p1", "succeeded"],
        ["p2", "failed"],
      ],
    );
  });

  it("a second daemon on a busy port says who holds it and suggests --port", async () => {
    const info = JSON.parse(readFileSync(path.join(project, ".drover", "daemon.json"), "utf8")) as {
      url: string;
    };
    const port = new URL(info.url).port;
    const other = path.join(temp.dir, "other");
    mkdirSync(other);
    const run = runDrover(["daemon", "--port", port], { cwd: other });
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), new RegExp(`another drover daemon holds it \\(pid ${daemonPid}`));
    assert.match(run.stderr(), /--port/);
    assert.equal(existsSync(path.join(other, ".drover", "engines")), false, "nothing was started");
  });

  it("daemon stop stops it (from a subdirectory) and cleans up its files", { timeout: 120_000 }, async () => {
    const run = runDrover(["daemon", "stop", "--json"], { cwd: deep });
    assert.equal(await run.exited, 0, run.stderr());
    assert.equal(alive(daemonPid), false);
    assert.equal(existsSync(path.join(project, ".drover", "daemon.pid")), false);
    assert.equal(existsSync(path.join(project, ".drover", "daemon.json")), false);
    const again = runDrover(["daemon", "stop"], { cwd: project });
    assert.equal(await again.exited, 1);
    assert.match(again.stderr(), /no drover daemon is running/);
  });
});

describe("the project root search stops at the repository", () => {
  it("does not take a state dir from outside the git repository it starts in", () => {
    const temp = makeTempDir();
    try {
      mkdirSync(path.join(temp.dir, ".drover"));
      const repo = path.join(temp.dir, "clone");
      mkdirSync(path.join(repo, ".git"), { recursive: true });
      mkdirSync(path.join(repo, "src"));
      assert.equal(findProjectRoot(path.join(repo, "src")), undefined);
      assert.equal(findProjectRoot(path.join(temp.dir, "elsewhere")), temp.dir);
      writeFileSync(path.join(repo, "drover.json"), "{}");
      assert.equal(findProjectRoot(path.join(repo, "src")), repo);
    } finally {
      temp.cleanup();
    }
  });
});
