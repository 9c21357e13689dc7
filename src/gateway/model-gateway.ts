import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type Clock, systemClock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import { type ForwardResult, forwardRequest, readBodyHead, sendError } from "./forward-request.ts";
import type { GatewayRoute } from "./plan-routes.ts";
import { presentedCredentials } from "./upstream-headers.ts";
import type { BeforeForward, GatewayRefusal, GatewayRequest, GatewayUsage } from "./usage-record.ts";

/** How much of a request body is read before forwarding, to name the model for the hook and the record. */
const headBytes = 64 * 1024;

export interface ModelGatewayOptions {
  routes: readonly GatewayRoute[];
  /** The server a per-server credential was issued to; undefined for one drover never issued (→ 401). */
  lookupCredential(credential: string): { server: string } | undefined;
  beforeForward?: BeforeForward;
  /** Called once per request when it ends, refused and unauthenticated ones included. Must not throw. */
  onUsage?: (usage: GatewayUsage) => void;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  clock?: Clock;
}

export interface ModelGateway {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The base URL OpenCode is given for this provider: `<url>/p/<provider>`. */
  baseURLFor(provider: string): string;
  close(): Promise<void>;
}

/**
 * drover's model gateway: a loopback HTTP server between the OpenCode servers and the model
 * providers. A request to `/p/<provider>/<rest>` must carry a credential drover issued to one of
 * its servers (in whatever header that provider's SDK uses); the gateway swaps it for the real key,
 * forwards to the provider's upstream and streams the answer back unchanged, recording usage.
 */
export async function startModelGateway(options: ModelGatewayOptions): Promise<ModelGateway> {
  const clock = options.clock ?? systemClock;
  const routes = new Map(options.routes.map((route) => [route.provider, route]));
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const record = (usage: GatewayUsage) => {
    try {
      options.onUsage?.(usage);
    } catch {
      // Recording must never break a request.
    }
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ts = clock.now();
    const url = new URL(req.url ?? "/", "http://gateway");
    const match = /^\/p\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const provider = match ? decodeURIComponent(match[1] as string) : "";
    const path = match?.[2] ?? "/";
    const sessionId = headerText(req.headers, "x-session-id");
    const base = {
      id: requestId(ts),
      ts,
      provider,
      method: req.method ?? "GET",
      path,
      ...(sessionId ? { sessionId } : {}),
    };
    const finish = (server: string, result: ForwardResult & { refused?: string; model?: string }) =>
      record({ ...base, server, durationMs: clock.now() - ts, ...result });
    const issued = presentedCredentials(req.headers)
      .map((credential) => options.lookupCredential(credential))
      .find((found) => found !== undefined);
    if (!issued) {
      req.resume();
      sendError(res, 401, "authentication_error", "the model gateway does not know this credential");
      return finish("unknown", { status: 401, requestBytes: 0, responseBytes: 0 });
    }
    const route = routes.get(provider);
    if (!route) {
      req.resume();
      sendError(res, 404, "not_found_error", `the model gateway has no provider "${provider}"`);
      return finish(issued.server, { status: 404, requestBytes: 0, responseBytes: 0 });
    }
    const head = await readBodyHead(req, headBytes);
    const model = modelOf(Buffer.concat(head.chunks).toString("utf8"), path);
    const request: GatewayRequest = { ...base, server: issued.server, ...(model ? { model } : {}) };
    const refusal = await decide(options.beforeForward, request);
    if (refusal) {
      req.resume();
      const status = refusal.status ?? 429;
      const headers: Record<string, string> =
        refusal.retryAfterSeconds !== undefined ? { "retry-after": String(refusal.retryAfterSeconds) } : {};
      sendError(res, status, status === 429 ? "rate_limit_error" : "api_error", refusal.reason, headers);
      return finish(issued.server, {
        status,
        requestBytes: head.bytes,
        responseBytes: 0,
        refused: refusal.reason,
        ...(model ? { model } : {}),
      });
    }
    const result = await forwardRequest({ req, res, route, rest: path + url.search, head, agents });
    finish(issued.server, { ...result, ...(model ? { model } : {}) });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, "api_error", `model gateway: ${errorMessage(error)}`);
      else res.destroy();
    });
  });
  // Answers stream for as long as the model talks; OpenCode decides when to give up.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    baseURLFor: (provider) => `${url}/p/${encodeURIComponent(provider)}`,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agents.http.destroy();
        agents.https.destroy();
      });
      return closed;
    },
  };
}

async function decide(
  hook: BeforeForward | undefined,
  request: GatewayRequest,
): Promise<GatewayRefusal | undefined> {
  if (!hook) return undefined;
  try {
    return await hook(request);
  } catch (error) {
    return { status: 500, reason: `model gateway hook failed: ${errorMessage(error)}` };
  }
}

/** The model a request names: `"model": "…"` near the start of its body, or Google's `/models/<id>:…` path. */
function modelOf(bodyHead: string, path: string): string | undefined {
  const inBody = /"model"\s*:\s*"([^"\\]{1,200})"/.exec(bodyHead)?.[1];
  if (inBody) return inBody;
  return /\/models\/([^/:]+)/.exec(path)?.[1];
}

function requestId(now: number): string {
  return `req_${now.toString(16).padStart(12, "0")}${randomBytes(5).toString("hex")}`;
}

function headerText(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
