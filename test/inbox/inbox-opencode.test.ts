import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { DroverEvent } from "../../src/core/events.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

// The inbox fed by real attempts (real OpenCode, scripted model): blocked, failed after retries,
// handoff, and a permission request answered by a person — or denied when no one answers.

const waitFor = (h: EngineHarness, match: (event: DroverEvent) => boolean) =>
  new Promise<DroverEvent>((resolve) => {
    const seen = h.events.find(match);
    if (seen) return resolve(seen);
    const off = h.app.bus.subscribe((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });

describe("attention inbox with real attempts", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness({ "retry.maxAttempts": 1, "watchdog.permissionTimeout": "2s" });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("a blocked task, a task failed after its retries and a handoff each become an item", async () => {
    await h.run([
      h.task(
        "blocked",
        '[[structured {"outcome":"blocked","summary":"no key","reason":"needs a deploy key","blocker":"credentials"}]]',
      ),
      h.task("failed", "[[error 401]]"),
      h.task("handoff", '[[structured {"outcome":"handoff","summary":"PR opened, needs review"}]]'),
    ]);
    const items = h.app.inbox.list();
    const byKind = new Map(items.map((item) => [item.kind, item]));
    assert.equal(byKind.get("blocked")?.detail, "needs a deploy key");
    assert.equal(byKind.get("blocked")?.taskId, "blocked");
    assert.equal(byKind.get("failed")?.taskId, "failed");
    assert.equal(byKind.get("handoff")?.detail, "PR opened, needs review");
  });

  it("a permission request waits for a person; approved, the agent goes on and writes outside the project", async () => {
    const run = h.run([h.task("ask", "[[ask-permission]] [[reply wrote it]]")]);
    const added = await waitFor(
      h,
      (e) => e.type === "inbox.added" && e.kind === "permission" && e.taskId === "ask",
    );
    assert.ok(added.type === "inbox.added");
    const progress = h.events.filter(
      (e) => e.type === "attempt.progress" && e.taskId === "ask" && e.liveness === "awaiting_permission",
    );
    assert.ok(progress.length > 0, "the task shows it is awaiting permission");
    h.app.inbox.answer(added.itemId, "approve", "test");
    const results = await run;
    assert.equal(results.tasks[0]?.status, "succeeded");
    assert.ok(existsSync(path.join(h.workDir, "..", "drover-permission.txt")), "the write was allowed");
  });

  it("no one answers: denied after watchdog.permissionTimeout, and the item says so", async () => {
    const results = await h.run([
      h.task("unanswered", "[[ask-permission ../unanswered.txt]] [[reply went on]]"),
    ]);
    const action = h.events.find((e) => e.type === "watchdog.action" && e.taskId === "unanswered");
    assert.ok(action && action.type === "watchdog.action");
    assert.deepEqual([action.state, action.remedy], ["awaiting_permission", "deny"]);
    const item = h.app.inbox
      .list({ all: true })
      .find((i) => i.taskId === "unanswered" && i.kind === "permission");
    assert.equal(item?.state, "denied");
    assert.equal(item?.answeredBy, "watchdog");
    assert.equal(existsSync(path.join(h.workDir, "..", "unanswered.txt")), false);
    assert.equal(results.tasks[0]?.status, "succeeded", "the agent went on without it");
  });
});
