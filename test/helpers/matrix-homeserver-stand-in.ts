import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An event sent into a room by the bot. */
export interface SentEvent {
  roomId: string;
  type: string;
  content: Record<string, unknown>;
}

interface TimelineEvent {
  type: string;
  sender: string;
  event_id: string;
  content: Record<string, unknown>;
}

/**
 * A local stand-in for the Matrix client-server API calls the bot makes: `whoami`, `/sync` (a long
 * poll answered when events arrive or its timeout passes), and `PUT …/send/{type}/{txn}` — each
 * needing the access token (401 `M_UNKNOWN_TOKEN` without it), as the spec documents.
 */
export class MatrixHomeserverStandIn {
  readonly sent: SentEvent[] = [];
  readonly #server: Server;
  readonly #pending: { roomId: string; event: TimelineEvent }[] = [];
  readonly #waiting = new Set<() => void>();
  #batch = 0;
  #eventCount = 0;

  private constructor(server: Server, history: { roomId: string; event: TimelineEvent }[]) {
    this.#server = server;
    this.#history = history;
  }

  readonly #history: { roomId: string; event: TimelineEvent }[];

  static async start(token: string, history: { roomId: string; sender: string; body: string }[] = []) {
    let standIn: MatrixHomeserverStandIn | undefined;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => standIn?.answer(req, res, raw, token));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    standIn = new MatrixHomeserverStandIn(
      server,
      history.map((entry, index) => ({
        roomId: entry.roomId,
        event: {
          type: "m.room.message",
          sender: entry.sender,
          event_id: `$old${index}`,
          content: { msgtype: "m.text", body: entry.body },
        },
      })),
    );
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A user says `body` in a room; resolves with the event's id. */
  say(roomId: string, sender: string, body: string): string {
    const eventId = `$ev${++this.#eventCount}`;
    this.#pending.push({
      roomId,
      event: { type: "m.room.message", sender, event_id: eventId, content: { msgtype: "m.text", body } },
    });
    for (const wake of this.#waiting) wake();
    return eventId;
  }

  close(): Promise<void> {
    for (const wake of this.#waiting) wake();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  answer(req: IncomingMessage, res: ServerResponse, raw: string, token: string): undefined {
    const json = (status: number, body: unknown): undefined => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return undefined;
    };
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(401, { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." });
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (url.pathname === "/_matrix/client/v3/account/whoami")
      return json(200, { user_id: "@drover:example.org" });
    if (url.pathname === "/_matrix/client/v3/sync") {
      // The first sync (no `since`) carries the rooms' history; later ones what arrived since.
      if (!url.searchParams.get("since")) return json(200, this.#syncOf(this.#history.splice(0)));
      const respond = () => json(200, this.#syncOf(this.#pending.splice(0)));
      if (this.#pending.length > 0) return respond();
      const timeout = Math.min(Number(url.searchParams.get("timeout") ?? 0), 30_000);
      const wake = () => {
        clearTimeout(timer);
        this.#waiting.delete(wake);
        if (!res.writableEnded) respond();
      };
      const timer = setTimeout(wake, timeout);
      this.#waiting.add(wake);
      return;
    }
    const send = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/[^/]+$/.exec(url.pathname);
    if (send && req.method === "PUT") {
      this.sent.push({
        roomId: decodeURIComponent(send[1] ?? ""),
        type: decodeURIComponent(send[2] ?? ""),
        content: JSON.parse(raw) as Record<string, unknown>,
      });
      return json(200, { event_id: `$sent${this.sent.length}` });
    }
    json(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  }

  #syncOf(events: { roomId: string; event: TimelineEvent }[]) {
    const join: Record<string, { timeline: { events: TimelineEvent[] } }> = {};
    for (const { roomId, event } of events) {
      const entry = join[roomId] ?? { timeline: { events: [] } };
      entry.timeline.events.push(event);
      join[roomId] = entry;
    }
    return { next_batch: `s${++this.#batch}`, rooms: { join } };
  }
}
