import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DroverEvent, EventBus } from "../../src/core/events.ts";

function warning(seq: number, code: string): DroverEvent {
  return { type: "warning", code, message: code, seq, ts: seq };
}

describe("the event bus", () => {
  it("delivers an event a listener publishes after the one that caused it reached every listener", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe((event) => {
      seen.push(`first saw ${event.seq}`);
      if (event.seq === 1) bus.publish(warning(2, "caused"));
    });
    bus.subscribe((event) => seen.push(`second saw ${event.seq}`));
    bus.publish(warning(1, "cause"));
    assert.deepEqual(seen, ["first saw 1", "second saw 1", "first saw 2", "second saw 2"]);
  });

  it("keeps delivering to the others when a listener throws, and stays usable after", () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error("a closed terminal");
    });
    bus.subscribe((event) => seen.push(event.seq));
    bus.publish(warning(1, "a"));
    bus.publish(warning(2, "b"));
    assert.deepEqual(seen, [1, 2]);
  });
});
