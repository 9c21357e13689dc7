import type http from "node:http";
import { z } from "zod";
import type { ReplyPlan } from "./decide-reply.ts";
import type { ChatMessage, ChatRequest } from "./openai-types.ts";
import { retryAfterHeaders, sendJson, streamWords, usageOf, wait, waitOutDelay } from "./reply-io.ts";
import { type ToolDialect, toolDialect, workingDirectoryIn } from "./tool-dialects.ts";

// The Anthropic Messages API (`POST /v1/messages`), as Claude Code speaks it: the request is read
// into the chat-completions shape decide-reply understands, and the reply written back as
// Anthropic's JSON or its server-sent events.

const Block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.unknown().optional(),
});
const Content = z.union([z.string(), z.array(Block)]);

export const MessagesRequest = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().positive().optional(),
  system: Content.optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: Content })),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
  stream: z.boolean().optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

const textOfContent = (content: z.infer<typeof Content> | unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((block) => (typeof block?.text === "string" ? block.text : "")).join("\n")
      : "";

/** The request as a chat-completions request (tool names in OpenCode's words), and the tool dialect. */
export function fromMessages(request: MessagesRequest): { chat: ChatRequest; dialect: ToolDialect } {
  const messages: ChatMessage[] = [];
  if (request.system) messages.push({ role: "system", content: textOfContent(request.system) });
  for (const message of request.messages) {
    const blocks =
      typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    if (message.role === "assistant") {
      const calls = blocks.filter((block) => block.type === "tool_use");
      messages.push({
        role: "assistant",
        content: textOfContent(blocks.filter((block) => block.type === "text")),
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((call) => ({
                id: call.id,
                type: "function",
                function: { name: call.name },
              })),
            }
          : {}),
      });
      continue;
    }
    if (message.role === "system") {
      messages.push({ role: "system", content: textOfContent(blocks) });
      continue;
    }
    // A user turn with tool results answers the last tool call (any text beside them is the
    // client's reminders, not a new instruction); otherwise it is the user's message.
    const results = blocks.filter((block) => block.type === "tool_result");
    for (const result of results)
      messages.push({
        role: "tool",
        tool_call_id: result.tool_use_id,
        content: textOfContent(result.content),
      });
    if (results.length === 0)
      messages.push({
        role: "user",
        content: textOfContent(blocks.filter((block) => block.type === "text")),
      });
  }
  const everything = messages.map((message) => textOfContent(message.content)).join("\n");
  const dialect = toolDialect(
    (request.tools ?? []).map((tool) => tool.name),
    workingDirectoryIn(everything),
  );
  const chat: ChatRequest = {
    model: request.model,
    messages,
    stream: request.stream === true,
    tools: dialect.names.map((name) => ({ type: "function", function: { name } })),
  };
  return { chat, dialect };
}

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};

/** Writes the planned reply as the Messages API does (JSON, or events with `stream: true`). */
export async function respondMessages(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  chat: ChatRequest,
  dialect: ToolDialect,
  plan: ReplyPlan,
): Promise<void> {
  const { reply } = plan;
  await waitOutDelay(plan, req);
  if (reply.kind === "hang") return; // never answer; the client gives up or aborts
  if (reply.kind === "error") {
    const headers = retryAfterHeaders(reply);
    const type = errorTypes[reply.status] ?? (reply.status >= 500 ? "api_error" : "invalid_request_error");
    sendJson(res, reply.status, { type: "error", error: { type, message: reply.message } }, headers);
    return;
  }
  const id = `msg_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const call = reply.kind === "tool" ? dialect.toClient(reply.name, reply.args) : undefined;
  const text = reply.kind === "tool" ? "" : reply.text;
  const usage = usageOf(chat, call ? JSON.stringify(call.args) : text, plan);
  const toolUse = call
    ? { type: "tool_use", id: `toolu_${id.slice(4)}`, name: call.name, input: call.args }
    : undefined;
  const stopReason = toolUse ? "tool_use" : "end_turn";
  const message = {
    id,
    type: "message",
    role: "assistant",
    model: chat.model,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
  if (chat.stream !== true) {
    if (reply.kind === "stall") return;
    sendJson(res, 200, {
      ...message,
      content: toolUse ? [toolUse] : [{ type: "text", text }],
      stop_reason: stopReason,
    });
    return;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const send = (event: string, data: Record<string, unknown>) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  };
  send("message_start", {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { input_tokens: usage.input, output_tokens: 1 },
    },
  });
  if (toolUse) {
    send("content_block_start", { index: 0, content_block: { ...toolUse, input: {} } });
    const json = JSON.stringify(toolUse.input);
    const mid = Math.floor(json.length / 2);
    for (const piece of [json.slice(0, mid), json.slice(mid)]) {
      if (plan.slowMs) await wait(plan.slowMs, req);
      send("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: piece } });
    }
  } else {
    send("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
    const streamed = await streamWords(text, plan, req, res, (word) =>
      send("content_block_delta", { index: 0, delta: { type: "text_delta", text: word } }),
    );
    if (!streamed) return;
  }
  send("content_block_stop", { index: 0 });
  send("message_delta", {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  send("message_stop", {});
  res.end();
}

/** `POST /v1/messages/count_tokens`: the same estimate the replies' usage uses. */
export function countTokens(request: MessagesRequest): { input_tokens: number } {
  const { chat } = fromMessages(request);
  const chars = chat.messages.reduce((sum, message) => sum + textOfContent(message.content).length, 0);
  return { input_tokens: Math.max(1, Math.ceil(chars / 4)) };
}
