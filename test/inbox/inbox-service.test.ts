import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Clock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { type DroverEvent, EventBus } from "../../src/core/events.ts";
import { InboxService } from "../../src/inbox/inbox-service.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("attention inbox (service)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let inbox: InboxService;
  let events: DroverEvent[];
  let now = 1_000;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return { cancel: () => timers.delete(timer) };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of [...timers].filter((t) => t.at <= now)) {
      timers.delete(timer);
      timer.fn();
    }
  };

  beforeEach(() => {
    temp = makeTempDir();
    const bus = new EventBus();
    events = [];
    bus.subscribe((event) => events.push(event));
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus, clock });
    inbox = new InboxService(store, clock);
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("lists open items newest first, dedupes by key, and records inbox.added", () => {
    const a = inbox.add({
      kind: "blocked",
      batchId: "b",
      taskId: "t1",
      title: "t1 blocked",
      detail: "no key",
      key: "k1",
    });
    now += 10;
    const b = inbox.add({ kind: "failed", batchId: "b", taskId: "t2", title: "t2 failed", detail: "401" });
    assert.equal(
      inbox.add({ kind: "blocked", title: "again", detail: "", key: "k1" }).id,
      a.id,
      "same key, same item",
    );
    assert.deepEqual(
      inbox.list().map((item) => item.id),
      [b.id, a.id],
    );
    assert.equal(events.filter((e) => e.type === "inbox.added").length, 2);
  });

  it("approve/deny only permission requests; an answered or unknown item is an error that changes nothing", () => {
    const ask = inbox.add({ kind: "permission", title: "may I", detail: "external_directory /x/*" });
    const blocked = inbox.add({
      kind: "blocked",
      batchId: "b",
      taskId: "t",
      title: "blocked",
      detail: "why",
    });
    assert.throws(
      () => inbox.answer(blocked.id, "approve"),
      /only permission requests are approved or denied \(use dismiss, retry or cancel\)/,
    );
    assert.equal(inbox.answer(ask.id, "approve", "ana").state, "approved");
    assert.throws(
      () => inbox.answer(ask.id, "deny"),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "conflict" &&
        /already answered \(approved by ana\)/.test(error.message),
    );
    assert.equal(inbox.get(ask.id).state, "approved", "the second answer changed nothing");
    assert.throws(
      () => inbox.answer("inb_nope", "dismiss"),
      (error: unknown) => error instanceof DroverError && error.code === "not_found",
    );
    assert.deepEqual(
      inbox.list().map((item) => item.id),
      [blocked.id],
    );
    assert.equal(inbox.list({ all: true }).length, 2);
    assert.equal(events.filter((e) => e.type === "inbox.answered").length, 1);
  });

  it("waits for an answer given in this process at once, and for one from another process by polling", async () => {
    const here = inbox.add({ kind: "permission", title: "here", detail: "" });
    const waitingHere = inbox.waitForAnswer(here.id, new AbortController().signal);
    inbox.answer(here.id, "deny");
    assert.equal((await waitingHere)?.state, "denied");

    const there = inbox.add({ kind: "permission", title: "there", detail: "" });
    const waitingThere = inbox.waitForAnswer(there.id, new AbortController().signal, 500);
    const other = new Store({ file: path.join(temp.dir, "drover.db"), bus: new EventBus(), clock });
    new InboxService(other, clock).answer(there.id, "approve", "other process");
    other.close();
    advance(500);
    assert.equal((await waitingThere)?.state, "approved");

    const withdrawn = inbox.add({ kind: "permission", title: "gone", detail: "" });
    const controller = new AbortController();
    const waitingWithdrawn = inbox.waitForAnswer(withdrawn.id, controller.signal);
    controller.abort("timeout");
    assert.equal(await waitingWithdrawn, undefined);
  });

  it("resolves a task's open items (not its permission requests) when the task goes on", () => {
    const failed = inbox.add({ kind: "failed", batchId: "b", taskId: "t", title: "failed", detail: "" });
    const ask = inbox.add({ kind: "permission", batchId: "b", taskId: "t", title: "ask", detail: "" });
    inbox.resolveTask("b", "t", "retried");
    assert.equal(inbox.get(failed.id).state, "resolved");
    assert.equal(inbox.get(ask.id).state, "open");
  });
});
