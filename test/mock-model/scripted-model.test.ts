import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ScriptedModelServer,
  type ScriptedRequestRecord,
  startScriptedModel,
} from "../../src/mock-model/server.ts";

const tools = ["bash", "write", "read", "edit"].map((name) => ({ type: "function", function: { name } }));

describe("scripted model (OpenAI-compatible)", () => {
  let model: ScriptedModelServer;
  const seen: ScriptedRequestRecord[] = [];
  before(async () => {
    model = await startScriptedModel({ onRequest: (record) => seen.push(record) });
  });
  after(() => model.close());

  const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${model.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const chat = async (
    messages: unknown[],
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const response = await post({ model: "scripted", messages, tools, ...extra }, headers);
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, any>,
    };
  };

  it("lists its model", async () => {
    const body = (await (await fetch(`${model.baseURL}/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      body.data.map((m) => m.id),
      ["scripted"],
    );
  });

  it("answers plainly, with usage counts", async () => {
    const { body } = await chat([{ role: "user", content: "say hi [[reply hi there]]" }]);
    assert.equal(body.choices[0].message.content, "hi there");
    assert.equal(body.choices[0].finish_reason, "stop");
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0);
    const fallback = await chat([{ role: "user", content: "just a question" }]);
    assert.equal(fallback.body.choices[0].message.content, "Done: just a question");
  });

  it("honours [[tokens]]", async () => {
    const { body } = await chat([{ role: "user", content: "[[tokens 1234 56]] x" }]);
    assert.deepEqual(body.usage, { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 });
  });

  it("calls tools in order, one per turn, then answers", async () => {
    const user = { role: "user", content: "[[write a.txt hello world]] [[bash ls]] [[reply finished]]" };
    const first = await chat([user]);
    const call1 = first.body.choices[0].message.tool_calls[0];
    assert.equal(call1.function.name, "write");
    assert.deepEqual(JSON.parse(call1.function.arguments), { filePath: "a.txt", content: "hello world\n" });
    const history = [
      user,
      { role: "assistant", tool_calls: [call1] },
      { role: "tool", tool_call_id: call1.id, content: "ok" },
    ];
    const second = await chat(history);
    const call2 = second.body.choices[0].message.tool_calls[0];
    assert.equal(call2.function.name, "bash");
    assert.equal(JSON.parse(call2.function.arguments).command, "ls");
    const third = await chat([
      ...history,
      { role: "assistant", tool_calls: [call2] },
      { role: "tool", tool_call_id: call2.id, content: "a.txt" },
    ]);
    assert.equal(third.body.choices[0].message.content, "finished");
  });

  it("supports read, edit and any tool with JSON args", async () => {
    const read = await chat([{ role: "user", content: "[[read src/x.ts]]" }]);
    assert.deepEqual(JSON.parse(read.body.choices[0].message.tool_calls[0].function.arguments), {
      filePath: "src/x.ts",
    });
    const edit = await chat([{ role: "user", content: "[[edit a.txt hello => goodbye]]" }]);
    assert.deepEqual(JSON.parse(edit.body.choices[0].message.tool_calls[0].function.arguments), {
      filePath: "a.txt",
      oldString: "hello",
      newString: "goodbye",
    });
    const any = await chat([{ role: "user", content: '[[tool bash {"command":"pwd","timeout":5}]]' }]);
    assert.deepEqual(JSON.parse(any.body.choices[0].message.tool_calls[0].function.arguments), {
      command: "pwd",
      timeout: 5,
    });
  });

  it("fills structured output when the StructuredOutput tool is offered", async () => {
    const response = await post({
      model: "scripted",
      messages: [{ role: "user", content: '[[structured {"outcome":"blocked","summary":"no creds"}]]' }],
      tools: [{ type: "function", function: { name: "StructuredOutput" } }],
    });
    const body = (await response.json()) as Record<string, any>;
    const call = body.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, "StructuredOutput");
    assert.deepEqual(JSON.parse(call.function.arguments), { outcome: "blocked", summary: "no creds" });
  });

  it("returns HTTP errors with Retry-After, only as many times as asked", async () => {
    const messages = [{ role: "user", content: "[[error 429 times=2 retry-after=3]] [[reply ok now]]" }];
    const headers = { "x-session-id": "ses_errors" };
    const first = await chat(messages, {}, headers);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "3");
    assert.equal(first.body.error.type, "rate_limit_error");
    assert.equal((await chat(messages, {}, headers)).status, 429);
    const third = await chat(messages, {}, headers);
    assert.equal(third.status, 200);
    assert.equal(third.body.choices[0].message.content, "ok now");
    assert.equal((await chat([{ role: "user", content: "[[error 500]]" }])).status, 500);
    assert.equal(
      (await chat([{ role: "user", content: "[[error 401]]" }])).body.error.type,
      "authentication_error",
    );
  });

  it("streams chunks with a usage chunk, slowly when asked", async () => {
    const started = Date.now();
    const response = await post({
      model: "scripted",
      stream: true,
      messages: [{ role: "user", content: "[[slow 30]] [[reply a b c d]]" }],
    });
    const text = await response.text();
    const chunks = text
      .split("\n\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)));
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    assert.equal(content, "a b c d");
    assert.ok(
      chunks.some((c) => c.usage?.completion_tokens > 0),
      "usage chunk present",
    );
    assert.ok(text.trimEnd().endsWith("data: [DONE]"));
    assert.ok(Date.now() - started >= 4 * 30, "words were spaced out");
  });

  it("streams tool calls in pieces", async () => {
    const response = await post({
      model: "scripted",
      stream: true,
      tools,
      messages: [{ role: "user", content: "[[bash echo hi]]" }],
    });
    const chunks = (await response.text())
      .split("\n\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)));
    const args = chunks.map((c) => c.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? "").join("");
    assert.equal(JSON.parse(args).command, "echo hi");
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls"));
  });

  it("stalls mid-stream: some content, then silence with the connection open", async () => {
    const controller = new AbortController();
    const response = await post(
      {
        model: "scripted",
        stream: true,
        messages: [{ role: "user", content: "[[stall]] [[reply one two three four]]" }],
      },
      {},
      controller.signal,
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    while (!received.includes("two")) received += new TextDecoder().decode((await reader.read()).value);
    const next = reader.read();
    const outcome = await Promise.race([
      next.then(() => "more data"),
      new Promise((resolve) => setTimeout(resolve, 300, "silent")),
    ]);
    assert.equal(outcome, "silent");
    assert.ok(!received.includes("three") && !received.includes("[DONE]"));
    controller.abort();
    await next.catch(() => undefined);
  });

  it("hangs before the first byte", async () => {
    const controller = new AbortController();
    const pending = post(
      { model: "scripted", stream: true, messages: [{ role: "user", content: "[[hang]]" }] },
      {},
      controller.signal,
    );
    const outcome = await Promise.race([
      pending.then(() => "answered"),
      new Promise((resolve) => setTimeout(resolve, 300, "hanging")),
    ]);
    assert.equal(outcome, "hanging");
    controller.abort();
    await assert.rejects(pending);
  });

  it("rejects a malformed directive with a 400 that names it", async () => {
    const { status, body } = await chat([{ role: "user", content: "[[error 99]]" }]);
    assert.equal(status, 400);
    assert.match(body.error.message, /\[\[error 99\]\]: needs an HTTP status/);
  });

  it("answers title requests without tools", async () => {
    const response = await post({
      model: "scripted",
      messages: [
        { role: "system", content: "You are a title generator." },
        { role: "user", content: "hello" },
      ],
    });
    const body = (await response.json()) as Record<string, any>;
    assert.equal(body.choices[0].message.content, "Scripted session");
    assert.ok(seen.some((record) => record.label === "title"));
  });
});
