import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One `chat.postMessage` the stand-in received. */
export interface PostedMessage {
  channel: string;
  text: string;
  thread_ts?: string;
}

/**
 * A local stand-in for the Slack Web API method drover calls (`chat.postMessage`), answering as
 * Slack documents it: HTTP 200 with `{ ok: false, error: "invalid_auth" }` without the bot token,
 * `{ ok: true, ts }` with it; form-encoded or JSON bodies.
 */
export class SlackApiStandIn {
  readonly posted: PostedMessage[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(token: string): Promise<SlackApiStandIn> {
    let standIn: SlackApiStandIn | undefined;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        if (req.headers.authorization !== `Bearer ${token}`)
          return res.end(JSON.stringify({ ok: false, error: "invalid_auth" }));
        if (!req.url?.endsWith("/chat.postMessage"))
          return res.end(JSON.stringify({ ok: false, error: "unknown_method" }));
        const fields = (req.headers["content-type"] ?? "").includes("json")
          ? (JSON.parse(raw) as Record<string, string>)
          : Object.fromEntries(new URLSearchParams(raw));
        const message: PostedMessage = { channel: fields.channel ?? "", text: fields.text ?? "" };
        if (fields.thread_ts) message.thread_ts = fields.thread_ts;
        standIn?.posted.push(message);
        res.end(JSON.stringify({ ok: true, channel: fields.channel, ts: `${Date.now() / 1000}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    standIn = new SlackApiStandIn(server);
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api/`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
