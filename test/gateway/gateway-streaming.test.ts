import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../helpers/wait-for.ts";
import {
  type GatewayFixture,
  issuedCredential,
  readBody,
  send,
  startGatewayFixture,
} from "./gateway-fixture.ts";

describe("model gateway: streaming and usage", () => {
  let f: GatewayFixture;
  before(async () => {
    f = await startGatewayFixture();
  });
  after(() => f.close());

  it("streams an SSE answer through chunk by chunk and records its usage", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.answer = async (_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"delta":{"content":"first"}}]}\n\n');
      await released; // the second chunk waits until the client has seen the first
      res.write('data: {"choices":[{"delta":{"content":"second"}}]}\n\n');
      res.write('data: {"choices":[],"usage":{"prompt_tokens":120,"completion_tokens":7}}\n\n');
      res.end("data: [DONE]\n\n");
    };
    const res = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}`, "x-session-id": "ses_abc" },
      body: '{"model":"gpt-test","stream":true}',
    });
    assert.equal(res.headers["content-type"], "text/event-stream");
    let text = "";
    res.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    const ended = new Promise<void>((resolve) => res.on("end", () => resolve()));
    await waitFor(() => text.includes("first"));
    assert.ok(!text.includes("second"), "the first chunk arrived before upstream wrote the second");
    release();
    await ended;
    assert.match(text, /first[\s\S]*second[\s\S]*\[DONE\]/);
    await waitFor(() => f.usage.some((record) => record.sessionId === "ses_abc"));
    const record = f.usage.find((entry) => entry.sessionId === "ses_abc");
    assert.equal(record?.server, "opencode-1");
    assert.equal(record?.provider, "openai");
    assert.equal(record?.model, "gpt-test");
    assert.equal(record?.status, 200);
    assert.equal(record?.path, "/chat/completions");
    assert.deepEqual(record?.tokens, { input: 120, output: 7 });
    assert.equal(record?.responseBytes, Buffer.byteLength(text));
    assert.equal(record?.requestBytes, Buffer.byteLength('{"model":"gpt-test","stream":true}'));
    assert.ok((record?.durationMs ?? -1) >= 0);
  });

  it("reads Anthropic's streamed usage and a plain JSON body's, and passes a provider's 429 on", async () => {
    f.answer = (url, res) => {
      if (url.includes("stream")) {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        res.write('event: message_start\ndata: {"type":"message_start","message":{"usage":');
        res.write('{"input_tokens":50,"output_tokens":1,"cache_read_input_tokens":30}}}\n\n');
        res.end('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n');
      } else if (url.includes("limited")) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "17" });
        res.end('{"error":{"message":"slow down"}}');
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3}}');
      }
    };
    for (const path of ["/stream", "/json", "/limited"]) {
      const res = await send(`${f.gateway.baseURLFor("anthropic")}${path}`, {
        headers: { "x-api-key": issuedCredential, "x-session-id": `ses${path.replace("/", "_")}` },
      });
      await readBody(res);
    }
    await waitFor(() => f.usage.some((record) => record.sessionId === "ses_limited"));
    const of = (id: string) => f.usage.find((record) => record.sessionId === id);
    assert.deepEqual(of("ses_stream")?.tokens, { input: 50, output: 42, cacheRead: 30 });
    assert.deepEqual(of("ses_json")?.tokens, { input: 9, output: 3 });
    assert.equal(of("ses_limited")?.status, 429);
    assert.equal(of("ses_limited")?.retryAfter, "17");
  });

  it("forwards a request body larger than what it reads ahead, unchanged", async () => {
    f.answer = (_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    };
    const body = JSON.stringify({ model: "big", messages: [{ role: "user", content: "x".repeat(300_000) }] });
    const res = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}`, "x-session-id": "ses_big" },
      body,
    });
    assert.equal(res.statusCode, 200);
    await readBody(res);
    assert.equal(f.upstream.received.at(-1)?.body, body);
    await waitFor(() => f.usage.some((record) => record.sessionId === "ses_big"));
    const record = f.usage.find((entry) => entry.sessionId === "ses_big");
    assert.equal(record?.requestBytes, Buffer.byteLength(body));
    assert.equal(record?.model, "big");
  });
});
