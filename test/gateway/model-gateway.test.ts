import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startModelGateway } from "../../src/gateway/model-gateway.ts";
import { closedPort } from "../helpers/free-port.ts";
import { waitFor } from "../helpers/wait-for.ts";
import {
  type GatewayFixture,
  issuedCredential,
  readBody,
  send,
  startGatewayFixture,
} from "./gateway-fixture.ts";

describe("model gateway: credentials, refusals, failures", () => {
  let f: GatewayFixture;
  before(async () => {
    f = await startGatewayFixture();
  });
  after(() => f.close());

  it("swaps the server's credential for the real key, in each provider's style", async () => {
    f.answer = (_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    };
    const cases: { provider: string; sent: Record<string, string>; real: Record<string, string> }[] = [
      {
        provider: "anthropic",
        sent: { "x-api-key": issuedCredential },
        real: { "x-api-key": "sk-ant-real" },
      },
      {
        provider: "openai",
        sent: { authorization: `Bearer ${issuedCredential}` },
        real: { authorization: "Bearer sk-openai-real" },
      },
      {
        provider: "google",
        sent: { "x-goog-api-key": issuedCredential },
        real: { "x-goog-api-key": "goog-real" },
      },
      { provider: "azure", sent: { "api-key": issuedCredential }, real: { "api-key": "azure-real" } },
    ];
    for (const { provider, sent, real } of cases) {
      const res = await send(`${f.gateway.baseURLFor(provider)}/messages?beta=true`, {
        headers: { ...sent, "content-type": "application/json", "x-custom": "kept" },
        body: `{"model":"m-${provider}"}`,
      });
      assert.equal(res.statusCode, 200);
      await readBody(res);
      const seen = f.upstream.received.at(-1);
      assert.equal(seen?.url, `/${provider}/v1/messages?beta=true`);
      assert.equal(seen?.body, `{"model":"m-${provider}"}`, "the body goes through unchanged");
      assert.equal(seen?.headers["x-custom"], "kept");
      for (const [name, value] of Object.entries(real)) assert.equal(seen?.headers[name], value);
      const credentialHeaders = ["authorization", "x-api-key", "x-goog-api-key", "api-key"];
      const carried = credentialHeaders.filter((name) => seen?.headers[name] !== undefined);
      assert.deepEqual(
        carried,
        Object.keys(real),
        `${provider}: only the real key's header reaches upstream`,
      );
      assert.ok(!JSON.stringify(seen?.headers).includes(issuedCredential), "the credential stays behind");
    }
    const local = await send(`${f.gateway.baseURLFor("local")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}` },
    });
    await readBody(local);
    assert.equal(
      f.upstream.received.at(-1)?.headers.authorization,
      undefined,
      "a keyless provider gets no key",
    );
  });

  it("answers 401 to a credential it never issued, 404 to an unknown provider, and forwards neither", async () => {
    const before = f.upstream.received.length;
    const guesses: Record<string, string>[] = [
      {},
      { authorization: "Bearer sk-guess" },
      { "x-api-key": "gwc_other" },
    ];
    for (const headers of guesses) {
      const res = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, { headers, body: "{}" });
      assert.equal(res.statusCode, 401);
      assert.match(await readBody(res), /does not know this credential/);
    }
    const unknown = await send(`${f.gateway.baseURLFor("nobody")}/x`, {
      headers: { authorization: `Bearer ${issuedCredential}` },
    });
    assert.equal(unknown.statusCode, 404);
    await readBody(unknown);
    assert.equal(f.upstream.received.length, before);
    const refused = f.usage.filter((record) => record.status === 401);
    assert.equal(refused.length, 3);
    assert.ok(refused.every((record) => record.server === "unknown"));
  });

  it("lets the beforeForward hook refuse a request with a status, a reason and a retry-after", async () => {
    const before = f.upstream.received.length;
    const seen: string[] = [];
    f.hook = (request) => {
      seen.push(`${request.server} ${request.provider} ${request.model}`);
      return { reason: "spend cap of $5 reached for this batch", retryAfterSeconds: 3600 };
    };
    const res = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}`, "x-session-id": "ses_capped" },
      body: '{"model":"gpt-capped","messages":[]}',
    });
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers["retry-after"], "3600");
    assert.match(await readBody(res), /spend cap of \$5 reached/);
    assert.deepEqual(seen, ["opencode-1 openai gpt-capped"]);
    f.hook = () => {
      throw new Error("governor down");
    };
    const broken = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}` },
      body: "{}",
    });
    assert.equal(broken.statusCode, 500, "a failing hook stops the request rather than let it through");
    assert.match(await readBody(broken), /governor down/);
    f.hook = undefined;
    assert.equal(f.upstream.received.length, before, "nothing refused reached the provider");
    assert.equal(
      f.usage.find((record) => record.sessionId === "ses_capped")?.refused,
      "spend cap of $5 reached for this batch",
    );
  });

  it("answers 502 when the provider cannot be reached, and cuts upstream off when the client goes away", async () => {
    const deadPort = await closedPort();
    const dead = await startModelGateway({
      routes: [{ provider: "dead", upstream: `http://127.0.0.1:${deadPort}/v1`, auth: "bearer", key: "k" }],
      lookupCredential: () => ({ server: "s" }),
    });
    const res = await send(`${dead.baseURLFor("dead")}/chat/completions`, {
      headers: { authorization: "Bearer any" },
    });
    assert.equal(res.statusCode, 502);
    assert.match(await readBody(res), /cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    await dead.close();

    f.answer = (_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: {}\n\n"); // then silence: only the client leaving ends it
    };
    const cutBefore = f.upstream.cutOff();
    const streaming = await send(`${f.gateway.baseURLFor("openai")}/chat/completions`, {
      headers: { authorization: `Bearer ${issuedCredential}`, "x-session-id": "ses_gone" },
    });
    await new Promise<void>((resolve) => streaming.once("data", () => resolve()));
    streaming.destroy();
    await waitFor(() => f.upstream.cutOff() > cutBefore);
    await waitFor(() => f.usage.some((record) => record.sessionId === "ses_gone"));
    assert.match(f.usage.find((record) => record.sessionId === "ses_gone")?.error ?? "", /client went away/);
  });
});
