import type { MatrixSettings } from "../../config/chat-settings.ts";
import type { Clock } from "../../core/clock.ts";
import { errorMessage } from "../../core/errors.ts";
import type { ChatDispatcher, ChatRequest } from "../chat-dispatcher.ts";
import type { MatrixClient, MatrixSync } from "./matrix-client.ts";

// The Matrix bot: a /sync loop on the homeserver; in the configured rooms, a message starting with
// the prefix (`!drover PROMPT`) from an allowed user becomes a request. It never throws: a failed
// sync is a warning, and the loop tries again after a pause on the clock.

const reactions = { pending: "⏳", ok: "✅", failed: "❌" } as const;
const longPollMs = 30_000;
const retryAfterMs = 5_000;

export class MatrixBot {
  readonly #settings: MatrixSettings;
  readonly #client: MatrixClient;
  readonly #clock: Clock;
  readonly #warn: (message: string) => void;
  #dispatcher: ChatDispatcher | undefined;
  #self = "";
  #since: string | undefined;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: {
    settings: MatrixSettings;
    client: MatrixClient;
    clock: Clock;
    warn(message: string): void;
  }) {
    this.#settings = options.settings;
    this.#client = options.client;
    this.#clock = options.clock;
    this.#warn = options.warn;
  }

  /** Starts the sync loop; requests go to `dispatcher`. History before the first sync is not acted on. */
  start(dispatcher: ChatDispatcher): void {
    this.#dispatcher = dispatcher;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** Replies to the request's message (`m.in_reply_to`). */
  reply = async (request: ChatRequest, text: string): Promise<void> => {
    if (request.thread) await this.#client.reply(request.channel, request.thread, text);
  };

  /** Reacts to the request's message: ⏳ taken, ✅ succeeded, ❌ anything else. */
  mark = async (request: ChatRequest, state: "pending" | "ok" | "failed"): Promise<void> => {
    if (request.thread) await this.#client.react(request.channel, request.thread, reactions[state]);
  };

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        if (!this.#self) this.#self = await this.#client.whoami();
        const first = this.#since === undefined;
        const sync = await this.#client.sync(this.#since, first ? 0 : longPollMs, this.#stop.signal);
        this.#since = sync.next_batch;
        if (!first) this.#take(sync);
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        this.#warn(`matrix sync: ${errorMessage(error)}`);
        await new Promise<void>((resolve) => {
          const timer = this.#clock.setTimeout(resolve, retryAfterMs);
          this.#stop.signal.addEventListener("abort", () => {
            timer.cancel();
            resolve();
          });
        });
      }
    }
  }

  #take(sync: MatrixSync): void {
    for (const [roomId, room] of Object.entries(sync.rooms?.join ?? {})) {
      if (!(roomId in this.#settings.rooms)) continue;
      for (const event of room.timeline?.events ?? []) {
        if (event.type !== "m.room.message" || event.sender === this.#self) continue;
        const body = typeof event.content.body === "string" ? event.content.body.trim() : "";
        const { prefix } = this.#settings;
        if (body !== prefix && !body.startsWith(`${prefix} `)) continue;
        const request: ChatRequest = {
          platform: "matrix",
          channel: roomId,
          user: event.sender,
          text: body.slice(prefix.length).trim(),
          thread: event.event_id,
        };
        const decision = this.#dispatcher?.accept(request);
        if (!decision) continue;
        if ("refused" in decision) {
          if (this.#dispatcher?.refusals === "reply")
            void this.reply(request, `Not taken: ${decision.refused}.`).catch(() => undefined);
        } else if (decision.accepted === "queued")
          void this.reply(request, `Queued: ${decision.ahead} ahead of it in this room.`).catch(
            () => undefined,
          );
      }
    }
  }
}
