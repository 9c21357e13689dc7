import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSseFrames, type SseFrame } from "../../src/core/sse-frames.ts";

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("SSE frames", () => {
  it("reassembles frames split across chunks, with id, event and multi-line data", async () => {
    const frames: SseFrame[] = [];
    await readSseFrames(
      bodyOf([
        "id: 7\nevent: task.st",
        'ate\ndata: {"a":1}\n\n',
        "data: line one\ndata: line two\n\n: comment\n\n",
      ]),
      (f) => frames.push(f),
    );
    assert.deepEqual(frames, [
      { id: "7", event: "task.state", data: '{"a":1}' },
      { data: "line one\nline two" },
    ]);
  });
});
