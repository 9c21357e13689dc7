import type { DroverEvent } from "../../core/events.ts";
import { readSseFrames } from "../../core/sse-frames.ts";
import type { DaemonClient } from "../daemon-client.ts";

/** Follows the daemon's SSE stream, reconnecting with Last-Event-ID so nothing is missed or repeated. */
export async function followEvents(
  client: DaemonClient,
  options: { batchId?: string; signal: AbortSignal; onEvent: (event: DroverEvent) => void; after?: number },
): Promise<void> {
  let lastId = options.after ?? 0;
  while (!options.signal.aborted) {
    try {
      const query = options.batchId ? `?batch=${encodeURIComponent(options.batchId)}` : "";
      const response = await fetch(`${client.url}/v1/events/stream${query}`, {
        headers: { ...client.headers, accept: "text/event-stream", "last-event-id": String(lastId) },
        signal: options.signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      await readSseFrames(response.body, (frame) => {
        // Frames already read may follow an abort: deliver nothing once the caller has stopped.
        if (frame.id === undefined || frame.event === "ping" || options.signal.aborted) return;
        lastId = Number(frame.id);
        options.onEvent(JSON.parse(frame.data) as DroverEvent);
      });
    } catch {
      if (options.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
