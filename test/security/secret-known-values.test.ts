import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Hono } from "hono";
import { openState } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { DroverEvent } from "../../src/core/events.ts";
import { createLogger } from "../../src/logging/logger.ts";
import {
  KnownSecrets,
  knownSecrets,
  registerConfigSecrets,
  registerEnvSecrets,
} from "../../src/security/known-secrets.ts";
import { findSecretKinds, redactSecrets } from "../../src/security/secret-scan.ts";
import { secureResponses } from "../../src/server/request-guard.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A value no pattern recognises: random letters and digits. */
const shapeless = () => `v${randomBytes(16).toString("hex")}`;

describe("known secrets: exact values drover holds", () => {
  it("redacts a registered value anywhere and names its variable, never the value", () => {
    const registry = new KnownSecrets();
    const value = shapeless();
    const forget = registry.add("MYLLM_API_KEY", value);
    const text = `the key was ${value}, again:${value}.`;
    assert.equal(redactSecrets(text, { known: registry }), "the key was [redacted], again:[redacted].");
    assert.deepEqual(findSecretKinds(`prompt with ${value}`, { known: registry }), [
      "the value of $MYLLM_API_KEY",
    ]);
    forget();
    assert.equal(redactSecrets(text, { known: registry }), text, "forgotten values are left alone");
  });

  it("ignores values too short or plain to be secrets", () => {
    const registry = new KnownSecrets();
    for (const value of ["ollama", "drover-scripted", "not-needed", "1234", "", "with space 123abc"])
      registry.add("X_API_KEY", value);
    assert.equal(registry.size, 0);
  });

  it("takes credential-named variables of an environment, not paths or ordinary settings", () => {
    const registry = new KnownSecrets();
    const values = { key: shapeless(), token: shapeless(), password: shapeless() };
    registerEnvSecrets(
      {
        OPENAI_API_KEY: values.key,
        GH_TOKEN: values.token,
        OPENCODE_SERVER_PASSWORD: values.password,
        PATH: "/usr/bin:/bin",
        SSH_AUTH_SOCK: "/tmp/ssh-abc123/agent.42",
        TOKENIZERS_PARALLELISM: "false",
        BUILD_ID: "abc123def456",
      },
      registry,
    );
    assert.deepEqual(
      registry.find(`${values.key} ${values.token} ${values.password} abc123def456`).map((m) => m.name),
      ["OPENAI_API_KEY", "GH_TOKEN", "OPENCODE_SERVER_PASSWORD"],
    );
  });

  it("takes literal keys from the OpenCode config and what its {env:…} references resolve to", () => {
    const registry = new KnownSecrets();
    const literal = shapeless();
    const referenced = shapeless();
    registerConfigSecrets(
      {
        provider: {
          a: { options: { apiKey: literal, baseURL: "http://127.0.0.1:9/v1" } },
          b: { options: { apiKey: "{env:B_KEY}", headers: { "x-team": "{env:TEAM}" } } },
          drover: { options: { apiKey: "drover-scripted" } },
        },
      },
      { B_KEY: referenced, TEAM: "platform" },
      registry,
    );
    assert.equal(registry.size, 2);
    assert.equal(redactSecrets(`${literal} ${referenced}`, { known: registry }), "[redacted] [redacted]");
  });
});

describe("known secrets at drover's choke points (the process's registry)", () => {
  let value: string;
  let forget: () => void;
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    value = shapeless();
    forget = knownSecrets.add("PLANTED_TOKEN", value);
    temp = makeTempDir();
  });
  afterEach(() => {
    forget();
    temp.cleanup();
  });

  it("the store records and publishes every event redacted", async () => {
    const state = openState({
      loaded: loadConfig({ cwd: temp.dir, env: {}, flags: { stateDir: path.join(temp.dir, "s") } }),
    });
    const published: DroverEvent[] = [];
    state.bus.subscribe((event) => published.push(event));
    try {
      state.store.recordEvent({
        type: "engine.server",
        server: "s1",
        state: "exited",
        detail: `env had ${value}`,
      });
      state.store.recordEvent({ type: "supervisor.limit", key: "k", limit: 1, reason: `quota of ${value}` });
      const stored = JSON.stringify(state.store.listEvents());
      assert.ok(!stored.includes(value) && stored.includes("[redacted]"), stored);
      assert.ok(!JSON.stringify(published).includes(value));
    } finally {
      await state.close();
    }
  });

  it("log lines never carry the value", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const log = createLogger({ name: "t", level: "info", out, err: out });
    log.info({ detail: `a tool printed ${value}` }, `server said ${value}`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(text.includes("[redacted]") && !text.includes(value), text);
  });

  it("API responses are redacted and never carry CORS headers", async () => {
    const app = new Hono();
    app.use("*", secureResponses);
    app.get("/json", (c) =>
      c.json({ nested: { prompt: `use ${value}` } }, 200, { "access-control-allow-origin": "*" }),
    );
    app.get("/text", (c) => c.text(`agent file: ${value}`));
    app.get("/html", (c) => c.html("<p>page</p>"));
    const json = await app.request("/json");
    assert.equal(json.headers.get("access-control-allow-origin"), null);
    assert.deepEqual(await json.json(), { nested: { prompt: "use [redacted]" } });
    assert.equal(await (await app.request("/text")).text(), "agent file: [redacted]");
    assert.equal(await (await app.request("/html")).text(), "<p>page</p>");
  });
});
