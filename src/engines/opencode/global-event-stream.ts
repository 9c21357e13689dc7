import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import { z } from "zod";

/**
 * Events drover never uses, recognised from the envelope's leading keys without parsing: every
 * event is also sent again as a `sync` envelope, and text deltas and bootstrap noise are most of
 * the rest. Anchored on `"payload":{…"type":`, which comes before any content.
 */
const unusedEvent =
  /"payload":\{(?:"id":"[A-Za-z0-9_]+",)?"type":"(?:sync|message\.part\.delta|plugin\.added|file\.watcher\.updated|catalog\.updated|reference\.updated|integration\.updated)"/;

const Envelope = z.looseObject({
  directory: z.string().optional(),
  payload: z.looseObject({ type: z.string(), properties: z.unknown().optional() }),
});

export interface GlobalEventStreamOptions {
  url: string;
  headers: Record<string, string>;
  onEvent: (event: OpencodeEvent) => void;
  /** Called on every (re)connect, after `server.connected`; reconciliation hooks in here. */
  onConnected: () => void;
  onDisconnected: (reason: string) => void;
}

/**
 * Follows one server's `/global/event` SSE stream (all directories), reconnecting with capped
 * backoff until closed. The wire format is `data: <json>` lines only.
 */
export class GlobalEventStream {
  readonly #options: GlobalEventStreamOptions;
  readonly #abort = new AbortController();
  #connected = false;
  #firstConnect: Promise<void>;
  #resolveFirst!: () => void;

  constructor(options: GlobalEventStreamOptions) {
    this.#options = options;
    this.#firstConnect = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
    void this.#loop();
  }

  /** Resolves once the first `server.connected` event has arrived. */
  get ready(): Promise<void> {
    return this.#firstConnect;
  }

  get connected(): boolean {
    return this.#connected;
  }

  close(): void {
    this.#abort.abort();
  }

  async #loop(): Promise<void> {
    let backoff = 100;
    while (!this.#abort.signal.aborted) {
      try {
        await this.#readOnce();
        backoff = 100;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        if (this.#connected) this.#options.onDisconnected((error as Error).message);
      }
      this.#connected = false;
      if (this.#abort.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 2000);
    }
  }

  async #readOnce(): Promise<void> {
    const response = await fetch(`${this.#options.url}/global/event`, {
      headers: { ...this.#options.headers, accept: "text/event-stream" },
      signal: this.#abort.signal,
    });
    if (!response.ok || !response.body) throw new Error(`event stream answered HTTP ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.#dispatch(frame);
        end = buffer.indexOf("\n\n");
      }
    }
    throw new Error("event stream ended");
  }

  #dispatch(frame: string): void {
    const data = frame
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart())
      .join("\n");
    if (!data) return;
    if (unusedEvent.test(data.slice(0, 400))) return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    // Events come wrapped as {directory, payload}; accept a bare payload too.
    const envelope = Envelope.safeParse(json);
    const bare = Envelope.shape.payload.safeParse(json);
    const payload = envelope.success ? envelope.data.payload : bare.success ? bare.data : undefined;
    if (!payload) return;
    const event = payload as unknown as OpencodeEvent;
    if (event.type === "server.connected") {
      this.#connected = true;
      this.#options.onConnected();
      this.#resolveFirst();
      return;
    }
    this.#options.onEvent(event);
  }
}
