import { eventSeqAtLoad, getJson } from "./api.ts";
import type { DroverEvent, DroverEventType } from "./api-types.ts";

export type StreamState = "connecting" | "live" | "reconnecting";

/** The event types the views react to (SSE names each event by its type). */
const streamedTypes = [
  "batch.created",
  "batch.finished",
  "task.state",
  "attempt.started",
  "attempt.session",
  "attempt.progress",
  "attempt.finished",
  "watchdog.action",
  "inbox.added",
  "inbox.answered",
  "engine.server",
  "supervisor.limit",
  "fleet.host",
  "warning",
] as const satisfies readonly DroverEventType[];

/**
 * One `EventSource` on `/v1/events/stream` for the whole page, starting after the newest event at
 * load time; the browser resumes with `Last-Event-ID` after a dropped connection.
 */
export class LiveEvents {
  readonly #listeners = new Set<(event: DroverEvent) => void>();
  readonly #stateListeners = new Set<(state: StreamState) => void>();
  #lastSeq = eventSeqAtLoad;
  state: StreamState = "connecting";

  start(): void {
    const source = new EventSource(`/v1/events/stream?after=${this.#lastSeq}`);
    source.onopen = () => this.#setState("live");
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return this.#setState("reconnecting");
      // The browser gave up (the server refused the stream): logged out, or the daemon is gone.
      this.#setState("reconnecting");
      void getJson("/v1/status")
        .catch(() => undefined)
        .finally(() => window.setTimeout(() => this.start(), 2000));
    };
    for (const type of streamedTypes) {
      source.addEventListener(type, (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as DroverEvent;
        if (event.seq > this.#lastSeq) this.#lastSeq = event.seq;
        for (const listener of this.#listeners) listener(event);
      });
    }
  }

  subscribe(listener: (event: DroverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onState(listener: (state: StreamState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #setState(state: StreamState): void {
    this.state = state;
    for (const listener of this.#stateListeners) listener(state);
  }
}

export const liveEvents = new LiveEvents();
