import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import { readSseFrames } from "../../core/sse-frames.ts";

/**
 * Events drover never uses, recognised from the envelope's leading keys without parsing: every
 * event is also sent again as a `sync` envelope, and text deltas and bootstrap noise are most of
 * the rest. Anchored on `"payload":{…"type":`, which comes before any content.
 */
const unusedEvent =
  /"payload":\{(?:"id":"[A-Za-z0-9_]+",)?"type":"(?:sync|message\.part\.delta|plugin\.added|file\.watcher\.updated|catalog\.updated|reference\.updated|integration\.updated)"/;

const deltaSession = /"type":"message\.part\.delta".{0,40}?"sessionID":"([A-Za-z0-9_]+)"/;

function isPayload(value: unknown): value is { type: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

export interface GlobalEventStreamOptions {
  url: string;
  headers: Record<string, string>;
  onEvent: (event: OpencodeEvent) => void;
  /** Called on every (re)connect, after `server.connected`; reconciliation hooks in here. */
  onConnected: () => void;
  onDisconnected: (reason: string) => void;
  /** A streamed text chunk arrived for this session (not parsed: only a sign of life). */
  onActivity?: (sessionId: string) => void;
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
    await readSseFrames(response.body, (frame) => this.#dispatch(frame.data));
    throw new Error("event stream ended");
  }

  #dispatch(data: string): void {
    const head = data.slice(0, 400);
    if (unusedEvent.test(head)) {
      // Streamed text chunks are not parsed (there are many), only noted as a sign of life.
      const delta = deltaSession.exec(head);
      if (delta?.[1]) this.#options.onActivity?.(delta[1]);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    // Events come wrapped as {directory, payload}; accept a bare payload too. A structural check
    // rather than a zod parse: this runs for every event of every session.
    const payload = isPayload((json as { payload?: unknown })?.payload)
      ? (json as { payload: unknown }).payload
      : json;
    if (!isPayload(payload)) return;
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
