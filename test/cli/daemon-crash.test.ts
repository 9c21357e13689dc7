import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DaemonClient } from "../../src/cli/daemon-client.ts";
import { followEvents } from "../../src/cli/render/follow-events.ts";
import type { DroverEvent } from "../../src/core/events.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const finalStates = new Set(["succeeded", "failed", "blocked", "timed_out", "cancelled"]);

describe("drover daemon: kill -9 in the middle of a batch, then restart", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  const daemons: CliRun[] = [];
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ capacity: { maxWorkers: 3, ramReserveMb: 0 }, stagger: { gapMs: 0 }, leaseTtl: "3s" }),
    );
  });
  afterEach(async () => {
    for (const daemon of daemons) daemon.child.kill("SIGKILL");
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    for (const pid of left) process.kill(pid, "SIGKILL");
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives the daemon");
  });

  const startDaemon = async () => {
    const daemon = runDrover(["daemon", "--port", "0", "--json", "--state-dir", stateDir], { cwd: temp.dir });
    daemons.push(daemon);
    await daemon.waitForOutput(/"daemon.listening"/);
    const listening = JSON.parse(
      daemon
        .stdout()
        .split("\n")
        .find((line) => line.includes("daemon.listening")) ?? "{}",
    ) as { url: string };
    const token = readFileSync(path.join(stateDir, "api-token"), "utf8").trim();
    return { daemon, client: new DaemonClient(listening.url, token) };
  };

  const waitForEvents = (client: DaemonClient, batchId: string, done: (seen: DroverEvent[]) => boolean) =>
    new Promise<DroverEvent[]>((resolve) => {
      const seen: DroverEvent[] = [];
      const controller = new AbortController();
      void followEvents(client, {
        batchId,
        signal: controller.signal,
        onEvent: (event) => {
          seen.push(event);
          if (done(seen)) {
            controller.abort();
            resolve(seen);
          }
        },
      });
    });

  it("re-adopts or retries every running task; every task ends exactly once", async () => {
    const first = await startDaemon();
    const tasks = Array.from({ length: 6 }, (_, i) => ({
      id: `t${i}`,
      prompt: `[[slow 250]] [[reply ${Array.from({ length: 10 }, (_, w) => `w${w}`).join(" ")} done ${i}]]`,
      dir: temp.dir,
    }));
    const submitted = await first.client.request<{ batchId: string }>("POST", "/v1/batches", { tasks });
    // Kill it while some tasks are mid-answer and others still queued.
    await waitForEvents(first.client, submitted.batchId, (seen) => {
      const thinking = new Set(
        seen.flatMap((e) => (e.type === "attempt.progress" && e.liveness === "thinking" ? [e.taskId] : [])),
      );
      return thinking.size >= 2;
    });
    first.daemon.child.kill("SIGKILL");
    await first.daemon.exited;

    const second = await startDaemon();
    const events = await waitForEvents(second.client, submitted.batchId, (seen) =>
      seen.some((e) => e.type === "batch.finished"),
    );

    for (const task of tasks) {
      const finals = events.filter(
        (e) => e.type === "task.state" && e.taskId === task.id && finalStates.has(e.to),
      );
      assert.equal(finals.length, 1, `${task.id} ended exactly once`);
      assert.equal(finals[0]?.type === "task.state" && finals[0].to, "succeeded", `${task.id} succeeded`);
      const finished = events
        .filter((e) => e.type === "attempt.finished" && e.taskId === task.id)
        .map((e) => (e.type === "attempt.finished" ? e.attemptId : ""));
      assert.equal(new Set(finished).size, finished.length, `${task.id}: no attempt outcome recorded twice`);
      const detail = await second.client.request<{ attempts: { status: string }[] }>(
        "GET",
        `/v1/batches/${submitted.batchId}/tasks/${task.id}`,
      );
      assert.ok(
        detail.attempts.every((a) => a.status !== "running"),
        `${task.id}: every attempt is closed`,
      );
    }
    const recovered = events.filter((e) => e.type === "supervisor.recovered");
    assert.ok(
      recovered.length >= 2,
      `the restarted daemon recovered the running tasks (${recovered.length})`,
    );
    assert.ok(
      recovered.some((e) => e.type === "supervisor.recovered" && e.action === "readopted"),
      "live sessions were re-adopted, not restarted",
    );
    assert.ok(events.filter((e) => e.type === "batch.finished").length === 1);

    second.daemon.child.kill("SIGTERM");
    assert.equal(await second.daemon.exited, 0);
  });
});
