import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { countTokens, fromMessages, MessagesRequest, respondMessages } from "./anthropic-messages.ts";
import { decideReply, type ReplyPlan } from "./decide-reply.ts";
import { fromResponses, ResponsesRequest, respondResponses } from "./openai-responses.ts";
import { ChatRequest, textOf } from "./openai-types.ts";
import { retryAfterHeaders, sendJson, streamWords, usageOf, wait, waitOutDelay } from "./reply-io.ts";

/** One request the scripted model answered, for logs, tests and benchmarks. */
export interface ScriptedRequestRecord {
  ts: number;
  sessionId?: string;
  model: string;
  label: string;
  stream: boolean;
}

export interface ScriptedModelOptions {
  port?: number;
  host?: string;
  /** Append one JSON line per request to this file. */
  logFile?: string;
  onRequest?: (record: ScriptedRequestRecord) => void;
}

export interface ScriptedModelServer {
  url: string;
  /** Base URL for OpenAI-compatible clients (`…/v1`). */
  baseURL: string;
  port: number;
  requestCount(): number;
  close(): Promise<void>;
}

/** Starts drover's scripted model: an OpenAI-compatible chat-completions server on loopback. */
export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModelServer> {
  const fired = new Map<string, number>();
  let count = 0;
  let closing = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: "server_error" } });
        else res.destroy();
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const url = (req.url ?? "/").replace(/\?.*$/, "");
    if ((req.method === "GET" || req.method === "HEAD") && url.endsWith("/models")) {
      sendJson(res, 200, { object: "list", data: [{ id: "scripted", object: "model", owned_by: "drover" }] });
      return;
    }
    const route = routeOf(req.method, url);
    if (!route) {
      // Claude Code probes `HEAD /api/hello`; anything else unknown is a 404 naming it.
      if (req.method === "HEAD") res.writeHead(200).end();
      else
        sendJson(res, 404, {
          error: { message: `no route ${req.method} ${url}`, type: "invalid_request_error" },
        });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
      return;
    }
    const schema =
      route === "chat" ? ChatRequest : route === "responses" ? ResponsesRequest : MessagesRequest;
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const message = `bad request: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ")}`;
      sendJson(
        res,
        400,
        route === "chat" || route === "responses"
          ? { error: { message, type: "invalid_request_error" } }
          : { type: "error", error: { type: "invalid_request_error", message } },
      );
      return;
    }
    if (route === "count_tokens") {
      sendJson(res, 200, countTokens(parsed.data as MessagesRequest));
      return;
    }
    const sessionId =
      headerOf(req, "x-session-id") ??
      headerOf(req, "x-claude-code-session-id") ??
      headerOf(req, "session-id");
    if (route === "chat") {
      const request = parsed.data as ChatRequest;
      await respond(req, res, request, decide(request, sessionId));
      return;
    }
    const { chat, dialect } =
      route === "messages"
        ? fromMessages(parsed.data as MessagesRequest)
        : fromResponses(parsed.data as ResponsesRequest);
    const plan = decide(chat, sessionId);
    if (route === "messages") await respondMessages(req, res, chat, dialect, plan);
    else await respondResponses(req, res, chat, dialect, plan);
  }

  /** Decides the reply, counts `times=N` directives per conversation, and records the request. */
  function decide(request: ChatRequest, sessionId: string | undefined): ReplyPlan {
    const conversation = sessionId ?? conversationKey(request);
    const plan = decideReply(request, (key) => fired.get(`${conversation}|${key}`) ?? 0);
    if (plan.firedKey) {
      const key = `${conversation}|${plan.firedKey}`;
      fired.set(key, (fired.get(key) ?? 0) + 1);
    }
    count++;
    const record: ScriptedRequestRecord = {
      ts: Date.now(),
      ...(sessionId ? { sessionId } : {}),
      model: request.model,
      label: plan.label,
      stream: request.stream === true,
    };
    options.onRequest?.(record);
    if (options.logFile) appendFileSync(options.logFile, `${JSON.stringify(record)}\n`);
    return plan;
  }

  async function respond(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    request: ChatRequest,
    plan: ReplyPlan,
  ): Promise<void> {
    const { reply } = plan;
    await waitOutDelay(plan, req);
    if (reply.kind === "hang") return; // never answer; the client gives up or aborts
    if (reply.kind === "error") {
      const headers = retryAfterHeaders(reply);
      const type =
        reply.status === 429
          ? "rate_limit_error"
          : reply.status === 401
            ? "authentication_error"
            : "api_error";
      sendJson(
        res,
        reply.status,
        { error: { message: reply.message, type, code: String(reply.status) } },
        headers,
      );
      return;
    }
    const id = `chatcmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const created = Math.floor(Date.now() / 1000);
    const outputText = reply.kind === "tool" ? JSON.stringify(reply.args) : reply.text;
    const counts = usageOf(request, outputText, plan);
    const usage = {
      prompt_tokens: counts.input,
      completion_tokens: counts.output,
      total_tokens: counts.input + counts.output,
    };
    const toolCall =
      reply.kind === "tool"
        ? {
            id: `call_${id.slice(9)}`,
            type: "function",
            function: { name: reply.name, arguments: JSON.stringify(reply.args) },
          }
        : undefined;

    if (request.stream !== true) {
      const message = toolCall
        ? { role: "assistant", content: null, tool_calls: [toolCall] }
        : { role: "assistant", content: outputText };
      if (reply.kind === "stall") return; // a non-streaming stall is a hang
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model: request.model,
        choices: [{ index: 0, message, finish_reason: toolCall ? "tool_calls" : "stop" }],
        usage,
      });
      return;
    }

    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      writeChunk(res, {
        id,
        object: "chat.completion.chunk",
        created,
        model: request.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    send({ role: "assistant", content: "" });
    if (toolCall) {
      const args = toolCall.function.arguments;
      const mid = Math.floor(args.length / 2);
      send({
        tool_calls: [
          {
            index: 0,
            id: toolCall.id,
            type: "function",
            function: { name: toolCall.function.name, arguments: "" },
          },
        ],
      });
      for (const piece of [args.slice(0, mid), args.slice(mid)]) {
        if (plan.slowMs) await wait(plan.slowMs, req);
        send({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
      }
      send({}, "tool_calls");
    } else {
      if (!(await streamWords(outputText, plan, req, res, (word) => send({ content: word })))) return;
      send({}, "stop");
    }
    writeChunk(res, {
      id,
      object: "chat.completion.chunk",
      created,
      model: request.model,
      choices: [],
      usage,
    });
    res.write("data: [DONE]\n\n");
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    requestCount: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        if (closing) return resolve();
        closing = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function conversationKey(request: ChatRequest): string {
  const firstUser = request.messages.find((m) => m.role === "user");
  return createHash("sha1").update(textOf(firstUser?.content)).digest("hex").slice(0, 16);
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function writeChunk(res: http.ServerResponse, chunk: unknown): void {
  if (!res.destroyed) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

/** Which API a request speaks, by its path (any prefix: `/v1/…`, `/openai/v1/…`). */
function routeOf(
  method: string | undefined,
  url: string,
): "chat" | "messages" | "count_tokens" | "responses" | undefined {
  if (method !== "POST") return undefined;
  if (url.endsWith("/chat/completions")) return "chat";
  if (url.endsWith("/messages/count_tokens")) return "count_tokens";
  if (url.endsWith("/messages")) return "messages";
  if (url.endsWith("/responses")) return "responses";
  return undefined;
}
