import { chmodSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { DroverError, errorMessage } from "../core/errors.ts";
import { classifyHost, type HostClass, type TierLists } from "./classify-host.ts";
import type { DecisionReporter } from "./decision-reporter.ts";

export interface EgressProxyOptions {
  lists: TierLists;
  decisions: DecisionReporter;
  /** Trouble that is not a decision (an upstream that does not answer): a `warning`. */
  warn(message: string): void;
}

/**
 * drover's egress proxy: plain HTTP requests with an absolute URL are forwarded, `CONNECT
 * host:port` is tunnelled (TLS is not opened); every connection is classified by host first and a
 * denied one gets 403 without the target ever seeing it. It listens on a loopback port (servers
 * of the `home` profile are pointed at it) and on Unix sockets, one per sandbox, each with a
 * label that goes into the decisions.
 */
export class EgressProxy {
  readonly #options: EgressProxyOptions;
  readonly #servers = new Set<http.Server>();
  readonly #sockets = new Set<Duplex>();
  #port = 0;

  private constructor(options: EgressProxyOptions) {
    this.#options = options;
  }

  /** Starts the proxy on a loopback port; a proxy that cannot listen is an error naming why. */
  static async start(options: EgressProxyOptions & { label?: string; port?: number }): Promise<EgressProxy> {
    const proxy = new EgressProxy(options);
    try {
      const server = proxy.#serve(options.label ?? "servers");
      await listen(server, { host: "127.0.0.1", port: options.port ?? 0 });
      proxy.#port = (server.address() as net.AddressInfo).port;
    } catch (error) {
      await proxy.close();
      throw new DroverError("engine_start_failed", `the egress proxy did not start: ${errorMessage(error)}`);
    }
    return proxy;
  }

  /** The loopback port, for `HTTP_PROXY=http://127.0.0.1:PORT`. */
  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  classify(host: string): HostClass {
    return classifyHost(host, this.#options.lists);
  }

  /** Listens on a Unix socket (mode 0600) whose decisions carry `label`; resolves with how to stop. */
  async listenOnSocket(label: string, socketPath: string): Promise<() => Promise<void>> {
    rmSync(socketPath, { force: true });
    const server = this.#serve(label);
    await listen(server, { path: socketPath });
    chmodSync(socketPath, 0o600);
    return () => closeServer(server, this.#servers);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([...this.#servers].map((server) => closeServer(server, this.#servers)));
  }

  #serve(label: string): http.Server {
    const server = http.createServer((request, response) => this.#forward(label, request, response));
    server.on("connect", (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#tunnel(label, request, socket, head),
    );
    server.on("connection", (socket: net.Socket) => this.#track(socket));
    server.on("clientError", (_error, socket) => socket.destroy());
    this.#servers.add(server);
    return server;
  }

  #forward(label: string, request: http.IncomingMessage, response: http.ServerResponse): void {
    let target: URL;
    try {
      target = new URL(request.url ?? "");
      if (target.protocol !== "http:") throw new Error("not http");
    } catch {
      response.writeHead(400, { "content-type": "text/plain" });
      response.end("drover egress proxy: send an absolute http:// URL, or CONNECT host:port for https\n");
      return;
    }
    const port = Number(target.port || 80);
    if (!this.#allowed(label, target.hostname, port, response)) return;
    const headers = { ...request.headers };
    delete headers["proxy-connection"];
    delete headers["proxy-authorization"];
    const upstream = http.request(
      {
        host: stripBrackets(target.hostname),
        port,
        method: request.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      this.#options.warn(`egress proxy: ${target.host} did not answer: ${error.message}`);
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`drover egress proxy: ${target.host} did not answer\n`);
    });
    request.pipe(upstream);
  }

  #tunnel(label: string, request: http.IncomingMessage, client: Duplex, head: Buffer): void {
    this.#track(client);
    const { host, port } = splitAuthority(request.url ?? "");
    if (!host || !port) {
      client.end("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nCONNECT host:port\n");
      return;
    }
    const verdict = this.#decide(label, host, port);
    if (verdict.decision === "deny") {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${denial(verdict)}`);
      return;
    }
    const upstream = net.connect({ host: stripBrackets(host), port });
    this.#track(upstream);
    upstream.once("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once("error", (error) => {
      this.#options.warn(`egress proxy: ${host}:${port} did not answer: ${error.message}`);
      client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\r\n");
    });
    client.once("error", () => upstream.destroy());
    client.once("close", () => upstream.destroy());
  }

  #allowed(label: string, host: string, port: number, response: http.ServerResponse): boolean {
    const verdict = this.#decide(label, host, port);
    if (verdict.decision !== "deny") return true;
    response.writeHead(403, { "content-type": "text/plain" });
    response.end(denial(verdict));
    return false;
  }

  #decide(label: string, host: string, port: number): HostClass {
    const verdict = this.classify(host);
    this.#options.decisions.decided(label, verdict, port);
    return verdict;
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }
}

function denial(verdict: HostClass): string {
  return `drover egress proxy: ${verdict.host} denied (tier ${verdict.tier}: ${verdict.rule})\n`;
}

/** `host:port` of a CONNECT line (IPv6 in brackets). */
function splitAuthority(authority: string): { host?: string; port?: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority);
  if (!match) return {};
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1] as string, port } : {};
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function listen(server: http.Server, where: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(where, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server, servers: Set<http.Server>): Promise<void> {
  servers.delete(server);
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
