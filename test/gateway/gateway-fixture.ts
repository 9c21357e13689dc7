import http from "node:http";
import { type ModelGateway, startModelGateway } from "../../src/gateway/model-gateway.ts";
import type { GatewayRoute } from "../../src/gateway/plan-routes.ts";
import type { BeforeForward, GatewayUsage } from "../../src/gateway/usage-record.ts";
import { startUpstreamStandIn, type UpstreamStandIn } from "./upstream-stand-in.ts";

/** The one credential the test gateway knows, issued to server `opencode-1`. */
export const issuedCredential = "gwc_server_one";

/** A gateway in front of a stand-in provider, with routes in each auth style and hooks a test can set. */
export interface GatewayFixture {
  gateway: ModelGateway;
  upstream: UpstreamStandIn;
  usage: GatewayUsage[];
  /** The stand-in's answer; set per test. */
  answer: (url: string, res: http.ServerResponse) => void | Promise<void>;
  hook: BeforeForward | undefined;
  close(): Promise<void>;
}

export async function startGatewayFixture(): Promise<GatewayFixture> {
  const usage: GatewayUsage[] = [];
  const fixture = {
    usage,
    hook: undefined,
    answer: (_: string, res: http.ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    },
  } as Omit<GatewayFixture, "gateway" | "upstream" | "close">;
  const upstream = await startUpstreamStandIn((request, res) => fixture.answer(request.url, res));
  const route = (provider: string, auth: GatewayRoute["auth"], key: string): GatewayRoute => ({
    provider,
    upstream: `${upstream.url}/${provider}/v1`,
    auth,
    key,
  });
  const gateway = await startModelGateway({
    routes: [
      route("anthropic", "x-api-key", "sk-ant-real"),
      route("openai", "bearer", "sk-openai-real"),
      route("google", "x-goog-api-key", "goog-real"),
      route("azure", "api-key", "azure-real"),
      { provider: "local", upstream: `${upstream.url}/local`, auth: "bearer" },
    ],
    lookupCredential: (credential) =>
      credential === issuedCredential ? { server: "opencode-1" } : undefined,
    beforeForward: (request) => fixture.hook?.(request),
    onUsage: (record) => usage.push(record),
  });
  return Object.assign(fixture, {
    gateway,
    upstream,
    close: async () => {
      await gateway.close();
      await upstream.close();
    },
  });
}

/** Sends a request and resolves on the response head; the body is read by the caller. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "POST", headers: options.headers ?? {} },
      resolve,
    );
    req.on("error", reject);
    req.end(options.body ?? "");
  });
}

export function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    res.on("end", () => resolve(text));
    res.on("error", reject);
  });
}
