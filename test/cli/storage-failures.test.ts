import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** Fills the filesystem holding `dir` to the last byte. */
function fillDisk(dir: string): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  try {
    writeFileSync(path.join(dir, "filler"), Buffer.alloc(free));
  } catch {
    // ENOSPC near the end is what we want.
  }
}

describe("storage failures, as a user meets them", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  let mounted = false;
  const runs: CliRun[] = [];
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
  });
  afterEach(() => {
    for (const run of runs.splice(0)) run.child.kill("SIGKILL");
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    for (const pid of left) process.kill(pid, "SIGKILL");
    if (mounted) execFileSync("umount", ["-l", stateDir]);
    mounted = false;
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });

  it("a full disk under the state dir: one clear error, results.json, exit 1, no stack trace", {
    timeout: 180_000,
  }, async () => {
    mkdirSync(stateDir);
    // A small tmpfs as the state dir (the machine and CI run as root; mount is the real full disk).
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", stateDir]);
    mounted = true;
    const prompts = ["[[bash sleep 3]] [[reply one]]", "[[bash sleep 3]] [[reply two]]"];
    const run = runDrover(["run", "-p", ...prompts, "--json", "--state-dir", stateDir], { cwd: temp.dir });
    runs.push(run);
    await run.waitForOutput(/"liveness":"in_tool"/);
    fillDisk(stateDir);
    const code = await run.exited;
    assert.equal(code, 1, run.stderr());
    const stderr = run.stderr();
    assert.match(stderr, new RegExp(`drover: cannot write drover's state in ${stateDir}: .*full`));
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
      tasks: { id: string }[];
    };
    assert.deepEqual(
      results.tasks.map((task) => task.id),
      ["p1", "p2"],
    );
    assert.match(run.stdout(), /"type":"storage.failed"/);
  });

  it("a daemon whose database is deleted stops with a clear error instead of writing into the void", {
    timeout: 120_000,
  }, async () => {
    const daemon = runDrover(["daemon", "--port", "0", "--json", "--state-dir", stateDir], { cwd: temp.dir });
    runs.push(daemon);
    await daemon.waitForOutput(/"daemon.listening"/);
    rmSync(path.join(stateDir, "drover.db"));
    const code = await daemon.exited;
    assert.equal(code, 1, daemon.stderr());
    assert.match(daemon.stderr(), /drover\.db was deleted while drover was running/);
    assert.equal(existsSync(path.join(stateDir, "daemon.json")), false, "the daemon's info file is removed");
  });
});
