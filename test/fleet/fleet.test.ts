import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import type { DroverEvent } from "../../src/core/events.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { batchFinished, type Fleet, finalStates, startFleet } from "./fleet-harness.ts";

// The fleet end to end: a real redis-server, a real daemon (`drover daemon` with queue.redis) and
// real `drover worker` processes, each with its own OpenCode pool and scripted model.

const fleetAttempts = (seen: readonly DroverEvent[]) =>
  seen.filter(
    (event): event is Extract<DroverEvent, { type: "fleet.attempt" }> => event.type === "fleet.attempt",
  );

const attemptsStarted = (seen: readonly DroverEvent[], taskId: string) =>
  seen.filter((event) => event.type === "attempt.started" && event.taskId === taskId).length;

describe("drover daemon --redis with drover worker hosts", () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.cleanup();
    fleet = undefined;
  });

  it("runs a batch with a dependency across two workers; status lists both hosts with their slots", async () => {
    fleet = await startFleet();
    const [h1, h2] = [await fleet.startWorker("h1", ["-c", "2"]), await fleet.startWorker("h2", ["-c", "2"])];
    const status = runDrover(["status", "--json", "--state-dir", fleet.daemonStateDir], { cwd: fleet.dir });
    assert.equal(await status.exited, 0, status.stderr());
    const shown = JSON.parse(status.stdout()) as {
      capacity: { slots: number };
      fleet: { hosts: { host: string; state: string; slots: number; running: number }[] };
    };
    assert.deepEqual(
      shown.fleet.hosts.map((host) => [host.host, host.state, host.slots]),
      [
        ["h1", "up", 2],
        ["h2", "up", 2],
      ],
    );
    assert.equal(shown.capacity.slots, 4);

    const tasks = [
      ...Array.from({ length: 4 }, (_, i) => ({
        id: `part${i}`,
        prompt: `[[slow 300]] [[write out/part${i}.txt part ${i}]] [[reply wrote part ${i}]]`,
        dir: fleet?.dir,
      })),
      {
        id: "join",
        dependsOn: ["part0", "part1", "part2", "part3"],
        prompt: "[[reply joined]]",
        dir: fleet.dir,
      },
    ];
    const { client } = fleet.daemon();
    const { batchId } = await client.request<{ batchId: string }>("POST", "/v1/batches", { tasks });
    const seen = await fleet.waitForEvents(batchId, batchFinished);
    const states = finalStates(seen);
    assert.deepEqual(
      [...states.entries()].sort(),
      ["join", "part0", "part1", "part2", "part3"].map((id) => [id, "succeeded"]),
    );
    for (let i = 0; i < 4; i++) assert.ok(existsSync(path.join(fleet.dir, "out", `part${i}.txt`)));
    const hosts = new Set(fleetAttempts(seen).map((event) => event.host));
    assert.deepEqual([...hosts].sort(), ["h1", "h2"], "both workers ran attempts (2 slots each for 4 tasks)");
    // The dependent task starts only once all its dependencies have succeeded.
    const joinStart = seen.findIndex((event) => event.type === "attempt.started" && event.taskId === "join");
    const lastPart = seen.findLastIndex(
      (event) => event.type === "task.state" && event.taskId.startsWith("part"),
    );
    assert.ok(joinStart > lastPart);
    assert.ok(h1.run.child.exitCode === null && h2.run.child.exitCode === null);
  });

  it("a worker killed with -9 loses its leases, and its attempts run again on another worker", async () => {
    fleet = await startFleet();
    const h1 = await fleet.startWorker("h1", ["-c", "2"]);
    const tasks = ["a", "b"].map((id) => ({
      id,
      prompt: `[[bash sleep 2 && mkdir -p out && echo ${id} > out/${id}.txt]] [[reply ${id} done]]`,
      dir: fleet?.dir,
    }));
    const { client } = fleet.daemon();
    const { batchId } = await client.request<{ batchId: string }>("POST", "/v1/batches", { tasks });
    await fleet.waitForEvents(batchId, (seen) => {
      const inTool = new Set(
        seen.flatMap((event) =>
          event.type === "attempt.progress" && event.liveness === "in_tool" ? [event.taskId] : [],
        ),
      );
      return inTool.size === 2;
    });
    // The host is lost: the worker and the OpenCode servers it started.
    h1.run.child.kill("SIGKILL");
    await h1.run.exited;
    for (const pid of h1.engineProcesses()) process.kill(pid, "SIGKILL");
    await fleet.startWorker("h2", ["-c", "2"]);

    const seen = await fleet.waitForEvents(batchId, batchFinished);
    assert.deepEqual([...finalStates(seen).entries()].sort(), [
      ["a", "succeeded"],
      ["b", "succeeded"],
    ]);
    const restarted = fleetAttempts(seen).filter(
      (event) => event.host === "h2" && event.action === "restarted",
    );
    assert.deepEqual(restarted.map((event) => event.taskId).sort(), ["a", "b"]);
    for (const id of ["a", "b"]) {
      assert.equal(attemptsStarted(seen, id), 1, `${id}: the same attempt was taken over, not a second one`);
      assert.ok(existsSync(path.join(fleet.dir, "out", `${id}.txt`)));
    }
    const lost = seen.length; // fleet.host events carry no batch: check the daemon's status instead
    assert.ok(lost > 0);
    const status = runDrover(["status", "--json", "--state-dir", fleet.daemonStateDir], { cwd: fleet.dir });
    assert.equal(await status.exited, 0, status.stderr());
    const hosts = (JSON.parse(status.stdout()) as { fleet: { hosts: { host: string; state: string }[] } })
      .fleet.hosts;
    assert.deepEqual(
      hosts.map((host) => [host.host, host.state]),
      [
        ["h1", "lost"],
        ["h2", "up"],
      ],
    );
  });

  it("Redis killed and restarted mid-batch: the batch still completes and nothing is lost", async () => {
    fleet = await startFleet();
    await fleet.startWorker("h1", ["-c", "3"]);
    const tasks = Array.from({ length: 6 }, (_, i) => ({
      id: `t${i}`,
      prompt: `[[slow 400]] [[reply ${Array.from({ length: 6 }, (_, w) => `w${w}`).join(" ")} done ${i}]]`,
      dir: fleet?.dir,
    }));
    const { client } = fleet.daemon();
    const { batchId } = await client.request<{ batchId: string }>("POST", "/v1/batches", { tasks });
    await fleet.waitForEvents(batchId, (seen) => fleetAttempts(seen).length >= 2);
    await fleet.redis.kill();
    await fleet.redis.start();
    const seen = await fleet.waitForEvents(batchId, batchFinished);
    const states = finalStates(seen);
    assert.equal(states.size, 6);
    for (const [id, state] of states) assert.equal(state, "succeeded", `${id} ended ${state}`);
  });

  it("a daemon stopped mid-attempt leaves it running on its worker; the restarted daemon collects it", async () => {
    fleet = await startFleet({ daemon: { shutdownGrace: 0 } });
    await fleet.startWorker("h1");
    const { client, run } = fleet.daemon();
    const tasks = [
      {
        id: "long",
        prompt: "[[bash sleep 3 && mkdir -p out && echo once >> out/long.txt]] [[reply long done]]",
        dir: fleet.dir,
      },
    ];
    const { batchId } = await client.request<{ batchId: string }>("POST", "/v1/batches", { tasks });
    await fleet.waitForEvents(batchId, (seen) =>
      seen.some((event) => event.type === "attempt.progress" && event.liveness === "in_tool"),
    );
    run.child.kill("SIGTERM");
    assert.equal(await run.exited, 0);
    await fleet.startDaemon();
    const seen = await fleet.waitForEvents(batchId, batchFinished);
    assert.equal(finalStates(seen).get("long"), "succeeded");
    assert.equal(attemptsStarted(seen, "long"), 1, "followed, not started again");
    assert.ok(seen.some((event) => event.type === "supervisor.recovered" && event.action === "readopted"));
  });
});
