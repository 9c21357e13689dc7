import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { AttemptProgress, AttemptRequest, AttemptStop } from "../../src/engines/contract.ts";
import { ShellEngine } from "../../src/engines/shell/shell-engine.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** Pids of live processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const wanted = `${argv.join("\0")}\0`;
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return readFileSync(`/proc/${entry}/cmdline`, "utf8") === wanted ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

describe("the shell engine (real bash)", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());
  const engine = new ShellEngine({ env: process.env });
  const request = (command: string, signal = new AbortController().signal) => {
    const progress: AttemptProgress[] = [];
    const attempt: AttemptRequest = {
      taskId: "step",
      attemptId: "att_1",
      prompt: `${command}\n\nWhen you stop, report your outcome…`,
      taskPrompt: command,
      title: "step",
      dir: temp.dir,
      model: "drover/scripted",
      files: [],
      signal,
      onSession: () => {},
      onProgress: (report) => progress.push(report),
    };
    return { attempt, progress };
  };

  it("runs the task's own command in its directory and completes with the end of its output", async () => {
    writeFileSync(path.join(temp.dir, "input.txt"), "three\n");
    const { attempt, progress } = request("echo one; echo two >&2; cat input.txt");
    const result = await engine.runAttempt(attempt);
    assert.equal(result.status, "succeeded");
    assert.deepEqual(result.report, {
      outcome: "complete",
      summary: "`echo one; echo two >&2; cat input.txt` succeeded: two",
      evidence: "one\nthree\ntwo",
    });
    assert.equal(progress[0]?.liveness, "in_tool");
    assert.equal(progress[0]?.tool, "shell");
    assert.equal(result.transcript?.messages[1]?.tools[0]?.status, "completed");
  });

  it("fails a command that exits non-zero, naming the exit code and its last line, not retryable", async () => {
    const result = await engine.runAttempt(request("echo checking; echo '2 tests failed'; exit 3").attempt);
    assert.equal(result.status, "failed");
    assert.deepEqual(result.failure, {
      type: "agent_failed",
      message: "`echo checking; echo '2 tests failed'; exit 3` exited with code 3: 2 tests failed",
      retryable: false,
    });
  });

  it("reaps a background child the command left behind, so it ends when the command does", async () => {
    const sleeper = ["sleep", "9371"];
    const result = await engine.runAttempt(request("sleep 9371 & echo started").attempt);
    assert.equal(result.status, "succeeded");
    assert.deepEqual(processesRunning(sleeper), []);
  });

  it("stops the whole process group on timeout and reports timed_out", async () => {
    const controller = new AbortController();
    const { attempt } = request("sleep 9372; echo never", controller.signal);
    // runAttempt spawns the command before it first awaits: the abort finds it running.
    const running = engine.runAttempt(attempt);
    const stop: AttemptStop = { kind: "timeout", message: "timed out after 1s" };
    controller.abort(stop);
    const result = await running;
    assert.equal(result.status, "timed_out");
    assert.deepEqual(result.failure, { type: "timeout", message: "timed out after 1s", retryable: true });
    assert.deepEqual(processesRunning(["sleep", "9372"]), []);
  });
});

describe("shell steps in a batch (drover run, real OpenCode for the agent task)", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("runs an agent task, then shell steps that depend on it; a red step fails with its output", async () => {
    writeFileSync(path.join(temp.dir, "drover.json"), JSON.stringify({ capacity: { ramReserveMb: 0 } }));
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "tasks:",
        "  - id: write",
        '    prompt: "[[write notes.txt hello]] [[reply wrote]]"',
        "  - id: check",
        "    engine: shell",
        '    prompt: "grep -q hello notes.txt && echo notes ok"',
        "    dependsOn: [write]",
        "  - id: lint",
        "    engine: shell",
        "    prompt: \"echo 'lint: 1 problem'; exit 1\"",
        "    dependsOn: [check]",
      ].join("\n"),
    );
    const run = runDrover(["run", "tasks.yaml", "--state-dir", "state"], { cwd: temp.dir });
    assert.equal(await run.exited, 1, run.stderr());
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
      tasks: { id: string; status: string; outcome?: { summary: string }; failure?: { message: string } }[];
    };
    const byId = new Map(results.tasks.map((task) => [task.id, task]));
    assert.equal(byId.get("write")?.status, "succeeded");
    assert.equal(byId.get("check")?.status, "succeeded");
    assert.equal(
      byId.get("check")?.outcome?.summary,
      "`grep -q hello notes.txt && echo notes ok` succeeded: notes ok",
    );
    assert.equal(byId.get("lint")?.status, "failed");
    assert.match(JSON.stringify(byId.get("lint")), /exited with code 1: lint: 1 problem/);
  });

  it("refuses a task file naming an engine drover does not have, naming the ones it has (exit 2)", async () => {
    writeFileSync(path.join(temp.dir, "bad.yaml"), 'tasks:\n  - id: x\n    engine: vim\n    prompt: "hi"\n');
    const run = runDrover(["run", "bad.yaml", "--state-dir", "state"], { cwd: temp.dir });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /tasks\[0\]\.engine/);
    assert.match(run.stderr(), /opencode.*shell/);
  });
});
