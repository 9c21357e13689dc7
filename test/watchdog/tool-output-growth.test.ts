import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import type { DroverEvent } from "../../src/core/events.ts";
import { AttemptActivity, printedBetween } from "../../src/engines/opencode/attempt-activity.ts";
import { serverIdVariable } from "../../src/engines/opencode/process-table.ts";
import { ToolProcesses, WrittenBytes } from "../../src/engines/opencode/tool-processes.ts";
import type { BatchResults } from "../../src/supervisor/batch-results.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";
import { processesRunning, uniqueSleepSeconds } from "../helpers/processes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";

// A tool's output growth is seen two ways: in OpenCode's view of the running command's output, and
// in what its processes wrote (wchar in /proc). A command that prints or writes a line a second
// with next to no CPU is alive even when OpenCode's view does not grow; one that prints nothing is
// hung.

/**
 * A bash loop that runs `body` once a second for `seconds` with no CPU to speak of and no process
 * started per round: it waits with `read -t 1` on a FIFO no one writes to (`sleep 1` would fork,
 * and the forks' CPU could keep the tool alive by itself).
 */
const idleLoop = (body: string, seconds: number) =>
  `mkfifo .tick-$$ && exec 3<>.tick-$$ && rm .tick-$$ && for i in $(seq 1 ${seconds}); do ${body}; read -t 1 -u 3; done`;

describe("printedBetween: bytes printed between two of OpenCode's views of the output", () => {
  it("counts what was appended", () => {
    assert.equal(printedBetween("", "tick 1\n"), 7);
    assert.equal(printedBetween("tick 1\n", "tick 1\ntick 2\n"), 7);
    assert.equal(printedBetween("tick 1\n", "tick 1\n"), 0);
    assert.equal(printedBetween("a", "aé"), 2, "bytes, not characters");
  });

  it("counts what the sliding tail of a long output moved by", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join("");
    const tail = (text: string) => `...\n\n${text.slice(-30_000)}`;
    assert.equal(printedBetween(tail(lines), tail(`${lines}line 5000\n`)), 10);
    const short = lines.slice(0, 29_990);
    assert.equal(printedBetween(short, tail(`${short}0123456789abcdef`)), 16, "the cut itself");
  });

  it("counts nothing when a repeating tail did not move (the writes in /proc show those)", () => {
    const ys = "y\n".repeat(15_000);
    assert.equal(printedBetween(`...\n\n${ys}`, `...\n\n${ys}`), 0);
  });
});

describe("AttemptActivity: a running tool's output growth, seen two ways", () => {
  let clock = 1_000;
  const running = (output: string) =>
    ({
      type: "message.part.updated",
      properties: {
        part: {
          id: "prt_1",
          sessionID: "ses_1",
          messageID: "msg_1",
          type: "tool",
          callID: "call_1",
          tool: "bash",
          state: { status: "running", input: { command: "make" }, metadata: { output }, time: { start: 0 } },
        },
      },
    }) as unknown as OpencodeEvent;

  it("counts OpenCode's output past its cut, and the processes' writes, each with when it last grew", () => {
    const activity = new AttemptActivity(() => clock);
    activity.handle(running(""));
    clock = 2_000;
    const long = "x".repeat(29_000);
    activity.handle(running(long));
    clock = 3_000;
    activity.handle(running(`...\n\n${`${long}${"y".repeat(2_000)}`.slice(-30_000)}`));
    assert.deepEqual([activity.tool?.outputBytes, activity.tool?.outputAt], [31_000, 3_000]);
    clock = 4_000;
    activity.observe("in_tool", { cpuMs: 20, wroteBytes: 31_007 });
    clock = 5_000;
    activity.observe("in_tool", { cpuMs: 20, wroteBytes: 31_007 });
    const seen = activity.observe("in_tool", { cpuMs: 20, wroteBytes: 31_100 });
    assert.deepEqual(
      [seen.tool?.wroteBytes, seen.tool?.wroteAt, seen.tool?.cpuAt],
      [31_100, 5_000, 1_000],
      "a first reading counts from the tool's start; growth counts from when it was seen",
    );
    const evidence = activity.evidence();
    assert.deepEqual(
      [evidence.toolOutputBytes, evidence.toolWroteBytes, evidence.toolWroteAt],
      [31_000, 31_100, 5_000],
    );
  });
});

describe("WrittenBytes: what a changing process tree wrote, each byte once", () => {
  it("adds each process's growth", () => {
    const count = new WrittenBytes();
    assert.equal(count.count([{ pid: 10, parent: 1, wchar: 7 }]), 7);
    assert.equal(count.count([{ pid: 10, parent: 1, wchar: 7 }]), 7);
    assert.equal(
      count.count([
        { pid: 10, parent: 1, wchar: 9 },
        { pid: 11, parent: 10, wchar: 100 },
      ]),
      109,
    );
  });

  it("does not count twice what a reaped child wrote (its parent's wchar takes it in)", () => {
    const count = new WrittenBytes();
    count.count([
      { pid: 10, parent: 1, wchar: 5 },
      { pid: 11, parent: 10, wchar: 100 },
    ]);
    // The child wrote 20 more, exited and was reaped; the parent wrote 3 of its own.
    assert.equal(count.count([{ pid: 10, parent: 1, wchar: 5 + 120 + 3 }]), 105 + 20 + 3);
  });

  it("keeps what an orphan wrote after it left the tree, and never goes back", () => {
    const count = new WrittenBytes();
    count.count([
      { pid: 10, parent: 1, wchar: 5 },
      { pid: 12, parent: 1, wchar: 50 },
    ]);
    assert.equal(count.count([{ pid: 10, parent: 1, wchar: 6 }]), 56);
    // A parent that has not reaped its exited child yet: its growth may be hidden once, no more.
    const zombie = new WrittenBytes();
    zombie.count([
      { pid: 10, parent: 1, wchar: 0 },
      { pid: 11, parent: 10, wchar: 40 },
    ]);
    assert.equal(zombie.count([{ pid: 10, parent: 1, wchar: 2 }]), 40);
    assert.equal(zombie.count([{ pid: 10, parent: 1, wchar: 4 }]), 42);
  });
});

describe("ToolProcesses.usage reads a command's writes from /proc", () => {
  const temp = makeTempDir();
  const serverId = `srv_test${randomBytes(4).toString("hex")}`;
  const children: ChildProcess[] = [];
  const run = (command: string) => {
    const child = spawn("bash", ["-c", command], {
      cwd: temp.dir,
      env: { ...process.env, [serverIdVariable]: serverId },
      detached: true,
      stdio: "ignore",
    });
    children.push(child);
    return new ToolProcesses({ serverId, serverPid: process.pid, dir: temp.dir, command });
  };
  after(() => {
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Killed by the test already.
      }
    }
    temp.cleanup();
  });

  it("sees a command that writes a line a second into a file grow, and a silent one not", async () => {
    const writer = run(idleLoop("echo tick $i >> written.log", 60));
    const silent = run(`sleep ${uniqueSleepSeconds(600)}`);
    await waitFor(() => writer.usage().wroteBytes !== undefined && silent.usage().wroteBytes !== undefined);
    const [first, silentFirst] = [writer.usage().wroteBytes ?? 0, silent.usage().wroteBytes];
    await waitFor(() => (writer.usage().wroteBytes ?? 0) >= first + 2 * "tick 9\n".length, 10_000);
    assert.equal(silent.usage().wroteBytes, silentFirst, "a sleeping command writes nothing");
    assert.deepEqual(
      [writer.kill().length > 0, silent.kill().length > 0, writer.find(), silent.find()],
      [true, true, [], []],
    );
  });
});

type WatchdogEvent = Extract<DroverEvent, { type: "watchdog.action" }>;

describe("watchdog on quiet tools that print or write (real OpenCode, scripted model)", () => {
  const silentFor = uniqueSleepSeconds(86_400);
  let h: EngineHarness;
  let results: BatchResults;
  const actionsOf = (taskId: string) =>
    h.events.filter((e): e is WatchdogEvent => e.type === "watchdog.action" && e.taskId === taskId);
  const stateOf = (taskId: string) => results.tasks.find((task) => task.id === taskId)?.status;
  const toolEvidence = (taskId: string, key: string) =>
    h.events.flatMap((e) =>
      e.type === "attempt.progress" && e.taskId === taskId && e.liveness === "in_tool"
        ? [Number(e.evidence?.[key] ?? 0)]
        : [],
    );

  before(async () => {
    // 5 s without a sign is hung; the quiet tools run 15 s and show a sign every second, so a
    // loaded machine has 4 s of slack before a false kill.
    h = await startHarness({ "capacity.maxWorkers": 8, taskTimeout: "120s", "watchdog.toolIdle": "5s" });
    results = await h.run([
      h.task("printing", `[[bash ${idleLoop("echo tick $i", 15)}; echo printed]] [[reply printed]]`),
      h.task(
        "writing",
        `[[bash ${idleLoop("echo tick $i >> progress.log", 15)}; echo wrote]] [[reply wrote]]`,
      ),
      // Past 30,000 characters OpenCode shows only the tail; "y" lines keep that tail the same.
      h.task("past-the-cut", `[[bash yes | head -c 40000; ${idleLoop("echo y", 15)}]] [[reply past]]`),
      h.task("silent", `[[bash sleep ${silentFor}]] [[reply carried on]]`),
    ]);
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("leaves alone a command that prints a line a second with next to no CPU", () => {
    assert.deepEqual(actionsOf("printing"), []);
    assert.equal(stateOf("printing"), "succeeded");
  });

  it("leaves alone a command that only writes a file, and shows what it wrote", () => {
    assert.deepEqual(actionsOf("writing"), []);
    assert.equal(stateOf("writing"), "succeeded");
    assert.ok(Math.max(0, ...toolEvidence("writing", "toolWroteBytes")) > 0, "wrote N B in the views");
  });

  it("leaves alone a command still printing past the part of its output OpenCode shows", () => {
    assert.deepEqual(actionsOf("past-the-cut"), []);
    assert.equal(stateOf("past-the-cut"), "succeeded");
  });

  it("kills a command that prints and writes nothing and uses no CPU, and the session goes on", () => {
    const [action, ...more] = actionsOf("silent");
    assert.equal(more.length, 0, "one action for one hung call");
    assert.deepEqual([action?.state, action?.remedy], ["tool_hung", "kill_tool"]);
    assert.match(action?.message ?? "", /no output for .*no writes for .*no CPU for/);
    assert.equal(typeof action?.evidence.wroteBytes, "number", "its writes were read");
    assert.equal(stateOf("silent"), "succeeded");
    assert.deepEqual(processesRunning(["sleep", silentFor]), []);
  });
});
