import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Scheduler } from "../../src/schedules/scheduler.ts";
import type { FiringRecord } from "../../src/store/schedules.ts";
import { type ScheduleNode, type ScheduleWorld, scheduleWorld, storeSubmit } from "./schedule-harness.ts";

const everySecond = "* * * * * *";
const iso = (ms: number) => new Date(ms).toISOString();

/** Moves the clock and waits until every node's scheduler has handled what became due. */
async function step(world: ScheduleWorld, nodes: readonly ScheduleNode[], ms: number): Promise<void> {
  world.advance(ms);
  for (const node of nodes) await node.scheduler.whenIdle();
}

const history = (node: ScheduleNode, name: string): FiringRecord[] =>
  node.service.history(name, 1000).slice().reverse();
const statuses = (node: ScheduleNode, name: string) => history(node, name).map((f) => f.status);
const batchesOf = (node: ScheduleNode) => node.store.listBatches(1000);

describe("the scheduler (manual clock, real store)", () => {
  let world: ScheduleWorld;
  beforeEach(() => {
    world = scheduleWorld();
  });
  afterEach(() => world.cleanup());

  it("a seconds-level schedule fires exactly once per slot, under the key NAME@slot", async () => {
    const node = world.node();
    await node.service.add({
      name: "tick",
      cron: everySecond,
      timezone: "UTC",
      prompt: "say hi",
      overlap: "allow",
    });
    node.scheduler.start();
    await node.scheduler.whenIdle();
    assert.deepEqual(history(node, "tick"), [], "the slot it was added in is not due");
    for (let i = 0; i < 5; i++) {
      await step(world, [node], 1000);
      // Extra wake-ups in the same second change nothing.
      node.scheduler.kick();
      await node.scheduler.whenIdle();
    }
    await step(world, [node], 500);
    const fired = history(node, "tick");
    assert.deepEqual(
      fired.map((f) => [f.key, f.status, f.trigger]),
      [1, 2, 3, 4, 5].map((s) => [`tick@${iso(1_000_000 + s * 1000)}`, "fired", "schedule"]),
    );
    const batches = new Set(fired.map((f) => f.batchId));
    assert.equal(batches.size, 5);
    assert.equal(batchesOf(node).length, 5);
    const first = fired[0] as FiringRecord;
    const task = node.store.getTask({ batchId: first.batchId as string, taskId: "tick" });
    assert.equal(task?.idempotencyKey, `${first.key}/tick`);
    assert.equal(task?.spec.prompt, "say hi");
    assert.equal(node.events.filter((e) => e.type === "schedule.fired").length, 5);
    assert.equal(node.service.list()[0]?.next, 1_006_000);
  });

  it("two daemons on one store fire each slot once", async () => {
    const a = world.node();
    const b = world.node();
    await a.service.add({
      name: "both",
      cron: everySecond,
      timezone: "UTC",
      prompt: "once",
      overlap: "allow",
    });
    a.scheduler.start();
    b.scheduler.start();
    for (let i = 0; i < 6; i++) await step(world, [a, b], 1000);
    const fired = history(a, "both");
    assert.equal(fired.length, 6);
    assert.ok(fired.every((f) => f.status === "fired" && f.batchId));
    assert.equal(batchesOf(a).length, 6, "one batch per slot, not two");
    const firedEvents = [...a.events, ...b.events].filter((e) => e.type === "schedule.fired");
    assert.equal(firedEvents.length, 6, "each slot's schedule.fired recorded by one daemon only");
  });

  it("a task whose key exists is not created again, whoever submits the slot", async () => {
    const node = world.node();
    await node.service.add({
      name: "dup",
      cron: everySecond,
      timezone: "UTC",
      prompt: "x",
      overlap: "allow",
    });
    // A previous life submitted slot +1 s (its batch stored) but died before recording the firing.
    const slot = 1_001_000;
    const submit = storeSubmit(node.store);
    const earlier = submit({
      specs: [spec(world.dir)],
      source: "schedule:dup",
      idempotencyKeys: new Map([["dup", `dup@${iso(slot)}/dup`]]),
    });
    node.scheduler.start();
    await step(world, [node], 1000);
    const [firing] = history(node, "dup");
    assert.equal(firing?.status, "fired");
    assert.equal(firing?.batchId, earlier.batchId, "the slot's batch is the one already stored");
    assert.equal(batchesOf(node).length, 1);
  });

  for (const catchUp of ["none", "last"] as const) {
    it(`after a restart, slots missed while down follow catch-up ${catchUp}`, async () => {
      const first = world.node();
      await first.service.add({
        name: "nightly",
        cron: everySecond,
        timezone: "UTC",
        prompt: "x",
        catchUp,
        overlap: "allow",
      });
      first.scheduler.start();
      await step(world, [first], 1000);
      assert.deepEqual(statuses(first, "nightly"), ["fired"]);
      await first.close();
      world.advance(3500); // three slots pass with no daemon
      const second = world.node();
      second.scheduler.start();
      await second.scheduler.whenIdle();
      const after = history(second, "nightly").slice(1);
      if (catchUp === "none") {
        assert.deepEqual(
          after.map((f) => f.status),
          ["missed", "missed", "missed"],
        );
        assert.equal(batchesOf(second).length, 1, "nothing run for the missed slots");
      } else {
        assert.deepEqual(
          after.map((f) => [f.status, f.trigger]),
          [
            ["missed", "schedule"],
            ["missed", "schedule"],
            ["fired", "catch-up"],
          ],
        );
        assert.equal(after[2]?.slot, 1_004_000, "the latest missed slot");
        assert.equal(batchesOf(second).length, 2, "exactly one batch for the missed slots");
      }
      assert.match(after[0]?.reason ?? "", /no daemon was running/);
      // And then on as usual, once per slot.
      await step(world, [second], 500);
      assert.equal(history(second, "nightly").at(-1)?.slot, 1_005_000);
      assert.equal(history(second, "nightly").at(-1)?.status, "fired");
    });
  }

  it("overlap skip: a slot is skipped while the previous batch runs", async () => {
    const node = world.node();
    await node.service.add({ name: "s", cron: everySecond, timezone: "UTC", prompt: "x" });
    node.scheduler.start();
    await step(world, [node], 1000);
    await step(world, [node], 1000);
    const [fired, skipped] = history(node, "s");
    assert.equal(fired?.status, "fired");
    assert.equal(skipped?.status, "skipped");
    assert.match(skipped?.reason ?? "", new RegExp(`${fired?.batchId} is still running`));
    node.store.finishBatch(fired?.batchId as string, {}, 0);
    await step(world, [node], 1000);
    assert.deepEqual(statuses(node, "s"), ["fired", "skipped", "fired"]);
    assert.equal(batchesOf(node).length, 2);
  });

  it("overlap queue: one slot waits for the running batch and fires when it ends; more are skipped", async () => {
    const node = world.node();
    await node.service.add({ name: "q", cron: everySecond, timezone: "UTC", prompt: "x", overlap: "queue" });
    node.scheduler.start();
    await step(world, [node], 1000);
    await step(world, [node], 1000);
    await step(world, [node], 1000);
    assert.deepEqual(statuses(node, "q"), ["fired", "queued", "skipped"]);
    assert.match(history(node, "q")[2]?.reason ?? "", /already queued/);
    assert.equal(batchesOf(node).length, 1);
    const running = history(node, "q")[0]?.batchId as string;
    node.store.finishBatch(running, {}, 0); // batch.finished wakes the scheduler
    await node.scheduler.whenIdle();
    const queued = history(node, "q")[1];
    assert.equal(queued?.status, "fired");
    assert.notEqual(queued?.batchId, running);
    assert.equal(batchesOf(node).length, 2);
  });

  it("overlap allow: every slot fires, running batch or not", async () => {
    const node = world.node();
    await node.service.add({ name: "a", cron: everySecond, timezone: "UTC", prompt: "x", overlap: "allow" });
    node.scheduler.start();
    for (let i = 0; i < 3; i++) await step(world, [node], 1000);
    assert.deepEqual(statuses(node, "a"), ["fired", "fired", "fired"]);
    assert.equal(batchesOf(node).filter((b) => b.finishedAt === undefined).length, 3);
  });

  it("reads the task file again at each firing; a file that became invalid fails its slot with the reason", async () => {
    const node = world.node();
    const file = path.join(world.dir, "tasks.yaml");
    writeFileSync(file, "tasks:\n  - { id: one, prompt: first version }\n");
    await node.service.add({ name: "f", cron: everySecond, timezone: "UTC", file, overlap: "allow" });
    node.scheduler.start();
    await step(world, [node], 1000);
    writeFileSync(file, "tasks:\n  - { id: one, prompt: second version }\n  - { id: two, prompt: added }\n");
    await step(world, [node], 1000);
    writeFileSync(file, "tasks:\n  - { id: one }\n");
    await step(world, [node], 1000);
    const [v1, v2, broken] = history(node, "f");
    const prompts = (firing: FiringRecord | undefined) =>
      node.store.listTasks(firing?.batchId as string).map((t) => t.spec.prompt);
    assert.deepEqual(prompts(v1), ["first version"]);
    assert.deepEqual(prompts(v2), ["second version", "added"]);
    assert.equal(broken?.status, "failed");
    assert.match(broken?.reason ?? "", /tasks\.yaml/);
    assert.match(broken?.reason ?? "", /prompt/);
    const failed = node.events.find((e) => e.type === "schedule.failed");
    assert.match(failed?.type === "schedule.failed" ? failed.reason : "", /tasks\.yaml/);
    writeFileSync(file, "tasks:\n  - { id: one, prompt: fixed }\n");
    await step(world, [node], 1000);
    assert.equal(history(node, "f")[3]?.status, "fired", "the schedule goes on");
  });

  it("pause stops firing; resume fires from now on, not the slots slept through", async () => {
    const node = world.node();
    await node.service.add({ name: "p", cron: everySecond, timezone: "UTC", prompt: "x", overlap: "allow" });
    node.scheduler.start();
    await step(world, [node], 1000);
    node.service.pause("p");
    assert.equal(node.service.list()[0]?.next, null);
    await step(world, [node], 3000);
    assert.equal(history(node, "p").length, 1);
    node.service.resume("p");
    await node.scheduler.whenIdle();
    assert.equal(history(node, "p").length, 1, "nothing caught up on resume");
    await step(world, [node], 1000);
    assert.deepEqual(statuses(node, "p"), ["fired", "fired"]);
  });

  it("a manual run fires now whatever the overlap policy, and stop() ends the loop", async () => {
    const node = world.node();
    await node.service.add({ name: "m", cron: "0 0 1 1 *", timezone: "UTC", prompt: "x" });
    node.scheduler.start();
    const first = await node.service.run("m");
    world.advance(1);
    const second = await node.service.run("m");
    assert.deepEqual([first.status, first.trigger, second.status], ["fired", "manual", "fired"]);
    assert.notEqual(first.batchId, second.batchId);
    await node.scheduler.stop();
    world.advance(366 * 24 * 3600 * 1000);
    assert.equal(history(node, "m").length, 2, "a stopped scheduler fires nothing");
  });

  it("a second scheduler instance never fires what the first recorded (restart in one process)", async () => {
    const node = world.node();
    await node.service.add({ name: "r", cron: everySecond, timezone: "UTC", prompt: "x", overlap: "allow" });
    node.scheduler.start();
    await step(world, [node], 1000);
    await node.scheduler.stop();
    const again = new Scheduler({
      store: node.store,
      clock: world.clock,
      bus: node.bus,
      taskDefaults: { model: "drover/scripted", timeoutMs: 60_000 },
      baseDir: world.dir,
      submit: storeSubmit(node.store),
    });
    again.start();
    await again.whenIdle();
    await again.stop();
    assert.deepEqual(statuses(node, "r"), ["fired"]);
  });
});

function spec(dir: string) {
  return {
    id: "dup",
    prompt: "x",
    title: "dup",
    dir,
    model: "drover/scripted",
    files: [],
    timeoutMs: 60_000,
    dependsOn: [],
  };
}
