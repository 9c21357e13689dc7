import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

/**
 * A provider that is down for good: every chat request gets a 500 with an OpenAI-style error
 * body. It asks clients to retry after 50 ms so the test does not wait out OpenCode's real backoff.
 */
async function startAlwaysFailingProvider(): Promise<{
  server: Server;
  url: string;
  requests: () => number;
}> {
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.method === "POST" && request.url?.endsWith("/chat/completions")) requests++;
      response.writeHead(500, { "content-type": "application/json", "retry-after-ms": "50" });
      response.end(
        JSON.stringify({
          error: { message: "upstream exploded (always-500 stand-in)", type: "server_error" },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/v1`, requests: () => requests };
}

describe("one retry budget across drover and OpenCode (real OpenCode, an always-500 provider)", () => {
  let h: EngineHarness;
  let provider: Awaited<ReturnType<typeof startAlwaysFailingProvider>>;
  before(async () => {
    provider = await startAlwaysFailingProvider();
    h = await startHarness({
      model: "down/m",
      "opencode.provider": {
        down: {
          npm: "@ai-sdk/openai-compatible",
          options: { baseURL: provider.url, apiKey: "unused" },
          models: { m: {} },
        },
      },
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
    provider.server.close();
  });

  it("fails a permanent provider error within the budget of failed requests, with the provider's message", async () => {
    const results = await h.run([h.task("down", "Say hello.", { model: "down/m" })]);
    const task = results.tasks[0];
    assert.equal(task?.status, "failed");
    assert.match(task?.reason ?? "", /upstream exploded/);
    assert.match(task?.outcome?.summary ?? "", /upstream exploded/);
    // Default budget: retry.providerRequests = 8, OpenCode's own retries included.
    assert.ok(provider.requests() <= 8, `${provider.requests()} model requests (budget 8)`);
    assert.ok(provider.requests() >= 2, "OpenCode's own retries were counted, not prevented");
    const attempts = h.app.store.listAttempts(results.batch.id, "down");
    assert.ok(
      attempts.every((attempt) => attempt.kind !== "continue"),
      `a provider's failure is not continued in its session: ${attempts.map((a) => a.kind).join(", ")}`,
    );
  });
});
