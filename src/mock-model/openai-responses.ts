import type http from "node:http";
import { z } from "zod";
import type { ReplyPlan } from "./decide-reply.ts";
import type { ChatMessage, ChatRequest } from "./openai-types.ts";
import { retryAfterHeaders, sendJson, streamWords, usageOf, wait, waitOutDelay } from "./reply-io.ts";
import { type ToolDialect, toolDialect, workingDirectoryIn } from "./tool-dialects.ts";

// The OpenAI Responses API (`POST /v1/responses`), as Codex speaks it: input items read into the
// chat-completions shape decide-reply understands, the reply written back as a response object
// or its server-sent events. A `text.format` JSON schema (Codex `--output-schema`) is answered
// with the report as the message's text.

const Item = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.unknown().optional(),
  name: z.string().optional(),
  call_id: z.string().optional(),
  output: z.unknown().optional(),
});

export const ResponsesRequest = z.looseObject({
  model: z.string(),
  instructions: z.string().optional(),
  input: z.union([z.string(), z.array(Item)]),
  tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })).optional(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).optional() }).optional(),
  stream: z.boolean().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;

const textOfContent = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("\n")
      : "";

/** The request as a chat-completions request (tool names in OpenCode's words), and the tool dialect. */
export function fromResponses(request: ResponsesRequest): { chat: ChatRequest; dialect: ToolDialect } {
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: "system", content: request.instructions });
  const items =
    typeof request.input === "string"
      ? [{ type: "message", role: "user", content: request.input }]
      : request.input;
  for (const item of items) {
    const type = item.type ?? "message";
    if (type === "message") {
      const role = item.role === "developer" ? "system" : (item.role ?? "user");
      messages.push({ role, content: textOfContent(item.content) });
    } else if (type === "function_call" || type === "custom_tool_call" || type === "local_shell_call") {
      const last = messages.at(-1);
      const call = { id: item.call_id, type: "function", function: { name: item.name ?? type } };
      // Parallel calls of one turn belong to one assistant message.
      if (last?.role === "assistant" && last.tool_calls) last.tool_calls.push(call);
      else messages.push({ role: "assistant", content: "", tool_calls: [call] });
    } else if (type.endsWith("_call_output")) {
      messages.push({ role: "tool", tool_call_id: item.call_id, content: textOfContent(item.output) });
    }
  }
  // Codex sends its environment and instructions as user messages before the prompt: the user's
  // message is the last one, which is what decide-reply reads.
  const everything = messages.map((message) => textOfContent(message.content)).join("\n");
  const offered = (request.tools ?? []).flatMap((tool) => (tool.name ? [tool.name] : []));
  const schemaAsked = request.text?.format?.type === "json_schema";
  const dialect = toolDialect(offered, workingDirectoryIn(everything));
  const chat: ChatRequest = {
    model: request.model,
    messages,
    stream: request.stream === true,
    tools: [...dialect.names, ...(schemaAsked ? ["StructuredOutput"] : [])].map((name) => ({
      type: "function",
      function: { name },
    })),
  };
  return { chat, dialect };
}

/** Writes the planned reply as the Responses API does (a response object, or its events). */
export async function respondResponses(
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
    const type =
      reply.status === 429
        ? "rate_limit_exceeded"
        : reply.status >= 500
          ? "server_error"
          : "invalid_request_error";
    sendJson(
      res,
      reply.status,
      { error: { message: reply.message, type, code: type, param: null } },
      headers,
    );
    return;
  }
  const id = `resp_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  // The report asked for as the answer's format comes back as the message's text.
  const structured = reply.kind === "tool" && reply.name === "StructuredOutput";
  const call = reply.kind === "tool" && !structured ? dialect.toClient(reply.name, reply.args) : undefined;
  const text = reply.kind === "tool" ? (structured ? JSON.stringify(reply.args) : "") : reply.text;
  const counts = usageOf(chat, call ? JSON.stringify(call.args) : text, plan);
  const usage = {
    input_tokens: counts.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: counts.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: counts.input + counts.output,
  };
  const item = call
    ? {
        type: "function_call",
        id: `fc_${id.slice(5)}`,
        call_id: `call_${id.slice(5)}`,
        name: call.name,
        arguments: JSON.stringify(call.args),
        status: "completed",
      }
    : {
        type: "message",
        id: `msg_${id.slice(5)}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      };
  const response = (status: string, output: unknown[]) => ({
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    model: chat.model,
    output,
    ...(status === "completed" ? { usage } : {}),
  });
  if (chat.stream !== true) {
    if (reply.kind === "stall") return;
    sendJson(res, 200, response("completed", [item]));
    return;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) => {
    if (!res.destroyed)
      res.write(
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`,
      );
  };
  send("response.created", { response: response("in_progress", []) });
  send("response.in_progress", { response: response("in_progress", []) });
  if (call && item.type === "function_call") {
    send("response.output_item.added", {
      output_index: 0,
      item: { ...item, arguments: "", status: "in_progress" },
    });
    const args = item.arguments ?? "";
    const mid = Math.floor(args.length / 2);
    for (const delta of [args.slice(0, mid), args.slice(mid)]) {
      if (plan.slowMs) await wait(plan.slowMs, req);
      send("response.function_call_arguments.delta", { item_id: item.id, output_index: 0, delta });
    }
    send("response.function_call_arguments.done", { item_id: item.id, output_index: 0, arguments: args });
  } else {
    const part = { type: "output_text", text: "", annotations: [] };
    send("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    });
    send("response.content_part.added", { item_id: item.id, output_index: 0, content_index: 0, part });
    const streamed = await streamWords(text, plan, req, res, (delta) =>
      send("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta }),
    );
    if (!streamed) return;
    send("response.output_text.done", { item_id: item.id, output_index: 0, content_index: 0, text });
    send("response.content_part.done", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { ...part, text },
    });
  }
  send("response.output_item.done", { output_index: 0, item });
  send("response.completed", { response: response("completed", [item]) });
  res.end();
}
