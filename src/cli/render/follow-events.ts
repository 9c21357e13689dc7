import type { DroverEvent } from "../../core/events.ts";
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
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: ?(.*)$/m.exec(frame)?.[1];
          const data = /^data: ?(.*)$/m.exec(frame)?.[1];
          if (id && data) {
            lastId = Number(id);
            options.onEvent(JSON.parse(data) as DroverEvent);
          }
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      if (options.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
