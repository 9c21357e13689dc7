import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ChatDispatcher } from "../../src/chat/chat-dispatcher.ts";
import { systemClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The chat policy on its own (a real store, no engine): deny by default, limits, the secret scan,
// and every request — taken or refused — recorded as a `chat.request` event.

describe("chat requests: policy and events", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let bus: EventBus;
  beforeEach(() => {
    temp = makeTempDir();
    bus = new EventBus();
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus, clock: systemClock });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  const dispatcher = (policy: { allowedUsers: string[]; allowedChannels: string[] }, refusals?: "silent") =>
    new ChatDispatcher({
      policy: { ...policy, maxPromptLength: 60, ...(refusals ? { refusals } : {}) },
      submit: async () => ({ batchId: "bat_1", taskId: "t" }),
      reply: async () => {},
      bus,
      store,
      report: () => {},
    });
  const request = (user: string, text: string) => ({ platform: "slack", channel: "C1", user, text });

  it("refuses everyone when nothing is allowed, and records each request with its decision", () => {
    const closed = dispatcher({ allowedUsers: [], allowedChannels: [] }, "silent");
    assert.equal(closed.refusals, "silent");
    assert.deepEqual(closed.accept(request("U1", "hi")), {
      refused: "this channel is not allowed to dispatch work",
    });
    const open = dispatcher({ allowedUsers: ["U1"], allowedChannels: ["C1"] });
    assert.equal(open.refusals, "reply");
    assert.deepEqual(open.accept(request("U2", "hi")), { refused: "you are not allowed to dispatch work" });
    assert.match(
      (open.accept(request("U1", "x".repeat(61))) as { refused: string }).refused,
      /61 characters; at most 60/,
    );
    assert.match(
      (open.accept(request("U1", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")) as { refused: string }).refused,
      /looks like it holds a secret/,
    );
    assert.deepEqual(open.accept(request("U1", "do it")), { accepted: "running", ahead: 0 });
    assert.deepEqual(open.accept(request("U1", "then this")), { accepted: "queued", ahead: 1 });
    const decisions = store
      .listEvents({ limit: 100 })
      .flatMap((event) => (event.type === "chat.request" ? [`${event.user}:${event.decision}`] : []));
    assert.deepEqual(decisions, [
      "U1:refused",
      "U2:refused",
      "U1:refused",
      "U1:refused",
      "U1:running",
      "U1:queued",
    ]);
    closed.close();
    open.close();
  });
});
