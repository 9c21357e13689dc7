import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import { systemClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { Store } from "../../src/store/store.ts";
import { buildBatchResults } from "../../src/supervisor/batch-results.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("a task held back by an overlapping task", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("shows why it waits in the results (drover ls, the API) until it is launched", () => {
    const store = new Store({
      file: path.join(temp.dir, "drover.db"),
      bus: new EventBus(),
      clock: systemClock,
    });
    const spec = (id: string) => ({
      id,
      prompt: "edit src/a.ts",
      title: id,
      dir: temp.dir,
      model: "drover/scripted",
      files: [],
      timeoutMs: 60_000,
      dependsOn: [],
    });
    store.createBatch("bat_w", "test", [spec("one"), spec("two")]);
    const two = { batchId: "bat_w", taskId: "two" };
    store.transitionTask(two, "ready");
    const reason = "waits for one: both touch src/a.ts";
    store.recordEvent({ type: "workspace", ...two, action: "waiting", detail: reason });
    const line = () => buildBatchResults(store, "bat_w").tasks.find((task) => task.id === "two");
    assert.equal(line()?.reason, reason);
    store.transitionTask(two, "running");
    store.recordEvent({
      type: "attempt.progress",
      ...two,
      attemptId: "att_1",
      liveness: "thinking",
      tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
    });
    assert.equal(line()?.reason, undefined, "a launched task no longer says it waits");
    store.close();
  });
});
