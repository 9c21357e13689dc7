import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { GatewayRoute } from "./plan-routes.ts";
import { upstreamHeaders } from "./upstream-headers.ts";
import type { TokenUsage } from "./usage-record.ts";
import { UsageScanner } from "./usage-scanner.ts";

/** How a forwarded request ended, for its usage record. */
export interface ForwardResult {
  status: number;
  requestBytes: number;
  responseBytes: number;
  tokens?: TokenUsage;
  retryAfter?: string;
  error?: string;
}

/** The start of a request body, read before forwarding (to name the model); the rest still flows. */
export interface BodyHead {
  chunks: Buffer[];
  bytes: number;
  ended: boolean;
}

/** Keep-alive agents for upstream connections, one pair per gateway. */
export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Sends the request to `upstream` with the route's real key and pipes the answer back as it comes,
 * chunk by chunk (SSE included), reading token usage on the way. Resolves once the exchange is
 * over, however it ended: finished, upstream unreachable (502), or either side gone mid-stream.
 */
export function forwardRequest(options: {
  req: IncomingMessage;
  res: ServerResponse;
  route: GatewayRoute;
  /** Path (and query) below the provider's base URL, starting with `/`. */
  rest: string;
  head: BodyHead;
  agents: UpstreamAgents;
}): Promise<ForwardResult> {
  const { req, res, route, head } = options;
  // A client that appends `/v1/…` itself (Claude Code, Codex) to an upstream that ends in `/v1`.
  const rest =
    /\/v1\/?$/.test(route.upstream) && options.rest.startsWith("/v1/") ? options.rest.slice(3) : options.rest;
  const target = new URL(route.upstream.replace(/\/$/, "") + rest);
  const secure = target.protocol === "https:";
  let requestBytes = head.bytes;
  let responseBytes = 0;
  return new Promise<ForwardResult>((resolve) => {
    let settled = false;
    const settle = (result: Omit<ForwardResult, "requestBytes" | "responseBytes">) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, requestBytes, responseBytes });
    };
    const upstream = (secure ? https : http).request(target, {
      method: req.method ?? "GET",
      headers: upstreamHeaders(req.headers, route),
      agent: secure ? options.agents.https : options.agents.http,
    });
    upstream.on("response", (answer) => {
      const status = answer.statusCode ?? 502;
      const scanner = new UsageScanner(headerText(answer.headers, "content-type"));
      const retryAfter = headerText(answer.headers, "retry-after");
      res.writeHead(status, responseHeaders(answer.headers));
      res.flushHeaders();
      answer.on("data", (chunk: Buffer) => {
        responseBytes += chunk.length;
        scanner.push(chunk);
      });
      answer.pipe(res);
      const outcome = () => {
        const tokens = scanner.finish();
        return { status, ...(tokens ? { tokens } : {}), ...(retryAfter ? { retryAfter } : {}) };
      };
      answer.on("end", () => settle(outcome()));
      answer.on("error", (error) => {
        res.destroy();
        settle({ ...outcome(), error: `upstream stream failed: ${error.message}` });
      });
      answer.on("aborted", () => {
        res.destroy();
        settle({ ...outcome(), error: "upstream closed the stream early" });
      });
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) {
        sendError(res, 502, "api_error", `model gateway: cannot reach ${target.host}: ${error.message}`);
        settle({ status: 502, error: error.message });
      } else {
        res.destroy();
        settle({ status: res.statusCode, error: `upstream failed: ${error.message}` });
      }
    });
    res.on("close", () => {
      if (res.writableFinished) return;
      upstream.destroy();
      settle({ status: res.statusCode, error: "the client went away mid-request" });
    });
    for (const chunk of head.chunks) upstream.write(chunk);
    if (head.ended) upstream.end();
    else {
      req.on("data", (chunk: Buffer) => {
        requestBytes += chunk.length;
      });
      req.pipe(upstream);
    }
  });
}

/** Reads up to `limit` bytes of a request body (or all of it, if shorter), then pauses it. */
export function readBodyHead(req: IncomingMessage, limit: number): Promise<BodyHead> {
  return new Promise((resolve, reject) => {
    const head: BodyHead = { chunks: [], bytes: 0, ended: false };
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      resolve(head);
    };
    const onData = (chunk: Buffer) => {
      head.chunks.push(chunk);
      head.bytes += chunk.length;
      if (head.bytes >= limit) {
        req.pause();
        done();
      }
    };
    const onEnd = () => {
      head.ended = true;
      done();
    };
    const onError = (error: Error) => {
      req.off("data", onData);
      req.off("end", onEnd);
      reject(error);
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
  });
}

/** Answers with an error body both OpenAI-style and Anthropic-style clients read the message from. */
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ type: "error", error: { type, code: String(status), message } }));
}

function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  for (const name of ["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade"])
    delete out[name];
  return out;
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
