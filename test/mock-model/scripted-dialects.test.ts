import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ScriptedModelServer, startScriptedModel } from "../../src/mock-model/server.ts";

// The scripted model's other dialects, over real HTTP: the Anthropic Messages API (Claude Code)
// and the OpenAI Responses API (Codex), with the same directives as chat completions.

let model: ScriptedModelServer;
before(async () => {
  model = await startScriptedModel();
});
after(() => model.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${model.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** The `event:`/`data:` pairs of a server-sent event stream. */
async function events(response: Response): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.trim())
    .map((frame) => {
      const event = /^event: (.+)$/m.exec(frame)?.[1] ?? "";
      const data = JSON.parse(/^data: (.+)$/m.exec(frame)?.[1] ?? "{}") as Record<string, unknown>;
      return { event, data };
    });
}

const claudeTools = ["Bash", "Write", "Read", "Edit"].map((name) => ({
  name,
  input_schema: { type: "object" },
}));
const codexTools = [{ type: "function", name: "exec_command", parameters: { type: "object" } }];

describe("the Anthropic Messages API", () => {
  it("answers a text reply as a message with usage, and as events whose deltas join to it", async () => {
    const body = {
      model: "scripted",
      max_tokens: 100,
      messages: [{ role: "user", content: "[[reply one two three]]" }],
    };
    const plain = (await (await post("/v1/messages?beta=true", body)).json()) as Record<string, unknown>;
    assert.deepEqual(plain.content, [{ type: "text", text: "one two three" }]);
    assert.equal(plain.stop_reason, "end_turn");
    assert.ok((plain.usage as { input_tokens: number }).input_tokens > 0);

    const streamed = await events(await post("/v1/messages", { ...body, stream: true }));
    assert.deepEqual(
      [...new Set(streamed.map((frame) => frame.event))],
      [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
      ],
    );
    const text = streamed
      .filter((frame) => frame.event === "content_block_delta")
      .map((frame) => (frame.data.delta as { text: string }).text)
      .join("");
    assert.equal(text, "one two three");
  });

  it("calls Claude Code's Bash for [[bash]], and answers after the tool result comes back", async () => {
    const first = { role: "user", content: [{ type: "text", text: "[[bash echo hi]] [[reply ran it]]" }] };
    const body = { model: "scripted", messages: [first], tools: claudeTools };
    const call = (await (await post("/v1/messages", body)).json()) as {
      content: Record<string, unknown>[];
      stop_reason: string;
    };
    assert.equal(call.stop_reason, "tool_use");
    assert.equal(call.content[0]?.name, "Bash");
    assert.deepEqual(call.content[0]?.input, { command: "echo hi", description: "Run a shell command" });
    const answered = {
      ...body,
      messages: [
        first,
        { role: "assistant", content: call.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: call.content[0]?.id, content: "hi" },
            { type: "text", text: "<system-reminder>not an instruction</system-reminder>" },
          ],
        },
      ],
    };
    const final = (await (await post("/v1/messages", answered)).json()) as { content: { text: string }[] };
    assert.equal(final.content[0]?.text, "ran it");
  });

  it("answers [[error 429 retry-after=3 times=1]] with Anthropic's error shape once, then succeeds; [[tokens]] sets usage", async () => {
    const body = {
      model: "scripted",
      messages: [{ role: "user", content: "[[error 429 retry-after=3 times=1]] [[tokens 10 20]]" }],
    };
    const session = { "x-claude-code-session-id": "s-429" };
    const limited = await post("/v1/messages", body, session);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "3");
    const error = (await limited.json()) as { type: string; error: { type: string } };
    assert.deepEqual([error.type, error.error.type], ["error", "rate_limit_error"]);
    const ok = (await (await post("/v1/messages", body, session)).json()) as { usage: unknown };
    assert.deepEqual(ok.usage, { input_tokens: 10, output_tokens: 20 });
  });

  it("refuses a malformed body with 400 naming the field", async () => {
    const response = await post("/v1/messages", { model: "scripted", messages: "hello" });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /messages/);
  });
});

describe("the OpenAI Responses API", () => {
  const prompt = (text: string) => [
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "<environment_context><cwd>/w</cwd></environment_context>" }],
    },
    { type: "message", role: "user", content: [{ type: "input_text", text }] },
  ];

  it("calls Codex's exec_command for [[bash]], then answers after the call's output, as events", async () => {
    const body = {
      model: "scripted",
      input: prompt("[[bash echo hi]] [[reply ran it]]"),
      tools: codexTools,
      stream: true,
    };
    const frames = await events(await post("/v1/responses", body));
    assert.equal(frames[0]?.event, "response.created");
    const done = frames.find((frame) => frame.event === "response.output_item.done")?.data.item as Record<
      string,
      string
    >;
    assert.equal(done.type, "function_call");
    assert.equal(done.name, "exec_command");
    assert.deepEqual(JSON.parse(done.arguments ?? "{}"), { cmd: "echo hi" });
    const next = {
      ...body,
      input: [
        ...body.input,
        { type: "function_call", call_id: done.call_id, name: "exec_command", arguments: done.arguments },
        { type: "function_call_output", call_id: done.call_id, output: "hi" },
      ],
    };
    const answer = await events(await post("/v1/responses", next));
    const completed = answer.find((frame) => frame.event === "response.completed")?.data.response as {
      output: { content: { text: string }[] }[];
      usage: { input_tokens: number };
    };
    assert.equal(completed.output[0]?.content[0]?.text, "ran it");
    assert.ok(completed.usage.input_tokens > 0);
    const deltas = answer.filter((frame) => frame.event === "response.output_text.delta");
    assert.equal(deltas.map((frame) => frame.data.delta).join(""), "ran it");
  });

  it("answers a JSON-schema format (Codex --output-schema) with the report as the message's text", async () => {
    const body = {
      model: "scripted",
      input: prompt('[[structured {"outcome":"blocked","summary":"needs a key"}]]'),
      text: { format: { type: "json_schema", name: "report", schema: { type: "object" } } },
    };
    const response = (await (await post("/v1/responses", body)).json()) as {
      output: { content: { text: string }[] }[];
    };
    assert.deepEqual(JSON.parse(response.output[0]?.content[0]?.text ?? ""), {
      outcome: "blocked",
      summary: "needs a key",
    });
  });

  it("answers [[error 500 times=1]] with an error body, then succeeds", async () => {
    const body = { model: "scripted", input: prompt("[[error 500 times=1]] [[reply fine]]") };
    const failed = await post("/v1/responses", body, { "session-id": "r-500" });
    assert.equal(failed.status, 500);
    assert.equal(((await failed.json()) as { error: { type: string } }).error.type, "server_error");
    const ok = (await (await post("/v1/responses", body, { "session-id": "r-500" })).json()) as {
      status: string;
    };
    assert.equal(ok.status, "completed");
  });
});
