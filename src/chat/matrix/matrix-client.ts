import { z } from "zod";

// The few client-server API calls the bot makes (Matrix spec v1.x): /sync, sending a message and a
// reaction. Transaction ids make a retried send land once.

const Sync = z.object({
  next_batch: z.string(),
  rooms: z
    .object({
      join: z
        .record(
          z.string(),
          z.object({
            timeline: z
              .object({
                events: z.array(
                  z.object({
                    type: z.string(),
                    sender: z.string(),
                    event_id: z.string(),
                    content: z.record(z.string(), z.unknown()),
                  }),
                ),
              })
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
export type MatrixSync = z.infer<typeof Sync>;

export class MatrixClient {
  readonly #base: string;
  readonly #token: string;
  #txn = 0;

  constructor(homeserverUrl: string, token: string) {
    this.#base = homeserverUrl.replace(/\/+$/, "");
    this.#token = token;
  }

  async whoami(): Promise<string> {
    const body = (await this.#call("GET", "/_matrix/client/v3/account/whoami")) as { user_id?: string };
    return body.user_id ?? "";
  }

  async sync(since: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<MatrixSync> {
    const query = new URLSearchParams({ timeout: String(timeoutMs) });
    if (since) query.set("since", since);
    return Sync.parse(await this.#call("GET", `/_matrix/client/v3/sync?${query}`, undefined, signal));
  }

  async reply(roomId: string, eventId: string, text: string): Promise<void> {
    await this.#send(roomId, "m.room.message", {
      msgtype: "m.notice",
      body: text,
      "m.relates_to": { "m.in_reply_to": { event_id: eventId } },
    });
  }

  /** A message of its own in a room (a notification). */
  async notice(roomId: string, text: string): Promise<void> {
    await this.#send(roomId, "m.room.message", { msgtype: "m.notice", body: text });
  }

  async react(roomId: string, eventId: string, key: string): Promise<void> {
    await this.#send(roomId, "m.reaction", {
      "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key },
    });
  }

  async #send(roomId: string, type: string, content: Record<string, unknown>): Promise<void> {
    const txn = `drover-${Date.now()}-${++this.#txn}`;
    await this.#call(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${txn}`,
      content,
    );
  }

  async #call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${path.split("?")[0]}: ${response.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : {};
  }
}
