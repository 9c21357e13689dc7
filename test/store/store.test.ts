import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Clock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { type DroverEvent, EventBus } from "../../src/core/events.ts";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const tokens = { input: 10, output: 5, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
const spec = (id: string, dependsOn: string[] = []): TaskSpec => ({
  id,
  prompt: `do ${id}`,
  title: id,
  dir: "/tmp",
  model: "drover/scripted",
  files: [],
  timeoutMs: 1000,
  dependsOn,
});

describe("store", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let published: DroverEvent[];
  let now: number;
  const clock: Clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };

  beforeEach(() => {
    temp = makeTempDir();
    now = 1_000;
    const bus = new EventBus();
    published = [];
    bus.subscribe((event) => published.push(event));
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus, clock });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("records every state change as an event row, in order", () => {
    store.createBatch("bat_1", "test", [spec("a"), spec("b", ["a"])]);
    const key = { batchId: "bat_1", taskId: "a" };
    store.transitionTask(key, "ready");
    store.transitionTask(key, "running");
    now = 2_000;
    store.startAttempt(key, "att_1", "test-engine");
    store.recordSession(key, "att_1", "ses_1", "server-1");
    assert.equal(
      store.finishAttempt(
        key,
        "att_1",
        {
          status: "succeeded",
          tokens,
          cost: 0.5,
          filesChanged: ["/tmp/x"],
          durationMs: 5,
        },
        { state: "succeeded", outcome: { outcome: "complete", summary: "ok" } },
      ),
      true,
    );
    const rows = store.listEvents({ batchId: "bat_1" });
    assert.deepEqual(
      rows.map((e) => (e.type === "task.state" ? `${e.taskId}:${e.from}→${e.to}` : e.type)),
      [
        "batch.created",
        "a:null→queued",
        "b:null→queued",
        "a:queued→ready",
        "a:ready→running",
        "attempt.started",
        "attempt.session",
        "attempt.finished",
        "a:running→succeeded",
      ],
    );
    assert.deepEqual(
      published.map((e) => e.seq),
      rows.map((e) => e.seq),
      "the bus saw the same events as the table",
    );
    const task = store.getTask(key);
    assert.equal(task?.state, "succeeded");
    assert.equal(task?.sessionId, "ses_1");
    assert.deepEqual(task?.outcome, { outcome: "complete", summary: "ok" });
    assert.equal(store.listAttempts("bat_1", "a")[0]?.cost, 0.5);
  });

  it("refuses an illegal transition and records nothing for it", () => {
    store.createBatch("bat_1", "test", [spec("a")]);
    const before = store.listEvents().length;
    assert.throws(
      () => store.transitionTask({ batchId: "bat_1", taskId: "a" }, "succeeded"),
      (error: unknown) => {
        return (
          error instanceof DroverError &&
          error.code === "conflict" &&
          /queued → succeeded/.test(error.message)
        );
      },
    );
    assert.equal(store.listEvents().length, before);
    assert.equal(store.getTask({ batchId: "bat_1", taskId: "a" })?.state, "queued");
  });

  it("records an attempt's outcome once", () => {
    store.createBatch("bat_1", "test", [spec("a")]);
    const key = { batchId: "bat_1", taskId: "a" };
    store.transitionTask(key, "ready");
    store.transitionTask(key, "running");
    store.startAttempt(key, "att_1", "test-engine");
    const result = { status: "failed" as const, tokens, cost: 0, filesChanged: [], durationMs: 1 };
    assert.equal(store.finishAttempt(key, "att_1", result), true);
    assert.equal(store.finishAttempt(key, "att_1", { ...result, status: "succeeded" }), false);
    assert.equal(store.getTask(key)?.state, "failed");
    assert.equal(store.listEvents({ taskId: "a" }).filter((e) => e.type === "attempt.finished").length, 1);
  });

  it("keeps its data across reopen (numbered migrations applied once)", () => {
    store.createBatch("bat_1", "test", [spec("a")]);
    store.close();
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus: new EventBus(), clock });
    assert.equal(store.listTasks("bat_1").length, 1);
    assert.equal(store.getBatch("bat_1")?.source, "test");
  });
});
