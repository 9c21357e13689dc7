import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pointProvidersAtGateway } from "../../src/engines/opencode/opencode-config.ts";
import { planGatewayRoutes } from "../../src/gateway/plan-routes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("planning the gateway's routes", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  const env = {
    ANTHROPIC_API_KEY: "sk-ant-planted-1",
    GEMINI_API_KEY: "gem-planted-2",
    MYLLM_API_KEY: "sk-myllm-planted-3",
    MYLLM_HOST: "http://127.0.0.1:9999",
    AWS_ACCESS_KEY_ID: "AKIAPLANTED",
    PATH: "/usr/bin",
  };

  it("routes built-in providers to their upstream with the key from their variables", () => {
    const plan = planGatewayRoutes({
      providers: {},
      enabled: ["anthropic", "google", "openai"],
      env,
      baseDir: temp.dir,
    });
    assert.deepEqual(plan.routes, [
      {
        provider: "anthropic",
        upstream: "https://api.anthropic.com/v1",
        auth: "x-api-key",
        key: "sk-ant-planted-1",
      },
      {
        provider: "google",
        upstream: "https://generativelanguage.googleapis.com/v1beta",
        auth: "x-goog-api-key",
        key: "gem-planted-2",
      },
      // No OPENAI_API_KEY: routed all the same, the provider answers 401 as it would have.
      { provider: "openai", upstream: "https://api.openai.com/v1", auth: "bearer" },
    ]);
    assert.deepEqual(plan.heldVariables, [
      "ANTHROPIC_API_KEY",
      "GEMINI_API_KEY",
      "GOOGLE_API_KEY",
      "GOOGLE_GENERATIVE_AI_API_KEY",
      "OPENAI_API_KEY",
    ]);
    assert.deepEqual(plan.unrouted, []);
  });

  it("routes custom providers by their configured baseURL and apiKey ({env:}, {file:} or literal)", () => {
    writeFileSync(path.join(temp.dir, "key.txt"), "sk-from-file-4\n");
    const plan = planGatewayRoutes({
      providers: {
        myllm: {
          npm: "@ai-sdk/openai-compatible",
          options: { baseURL: "{env:MYLLM_HOST}/v1/", apiKey: "{env:MYLLM_API_KEY}" },
        },
        filed: {
          npm: "@ai-sdk/openai-compatible",
          options: { baseURL: "http://h/v1", apiKey: "{file:key.txt}" },
        },
        claude: {
          npm: "@ai-sdk/anthropic",
          options: { baseURL: "https://proxy.example/v1", apiKey: "sk-literal-5" },
        },
        "amazon-bedrock": {},
        nobase: { npm: "@ai-sdk/openai-compatible", options: { apiKey: "{env:NOBASE_KEY}" } },
      },
      enabled: ["myllm", "amazon-bedrock"],
      env,
      baseDir: temp.dir,
    });
    assert.deepEqual(plan.routes, [
      { provider: "myllm", upstream: "http://127.0.0.1:9999/v1", auth: "bearer", key: "sk-myllm-planted-3" },
      { provider: "filed", upstream: "http://h/v1", auth: "bearer", key: "sk-from-file-4" },
      { provider: "claude", upstream: "https://proxy.example/v1", auth: "x-api-key", key: "sk-literal-5" },
    ]);
    assert.deepEqual(plan.heldVariables, ["MYLLM_API_KEY", "MYLLM_HOST"]);
    // Bedrock signs its requests; a provider without a baseURL has no upstream: both keep their own config.
    assert.deepEqual(plan.unrouted, ["amazon-bedrock", "nobase"]);
  });

  it("leaves no key and no {env:} in the config the servers get", () => {
    const config = {
      model: "myllm/m",
      provider: {
        myllm: {
          npm: "@ai-sdk/openai-compatible",
          options: {
            baseURL: "https://user:pw@llm.example/v1?key=abc",
            apiKey: "{env:MYLLM_API_KEY}",
            timeout: 5,
          },
          models: { m: {} },
        },
      },
    };
    const pointed = pointProvidersAtGateway(
      config,
      [
        {
          provider: "myllm",
          baseURL: "http://127.0.0.1:1234/p/myllm",
          probeURL: "https://user:pw@llm.example/v1?key=abc",
        },
        { provider: "anthropic", baseURL: "http://127.0.0.1:1234/p/anthropic" },
      ],
      "{file:~/.config/drover/model-credential}",
    );
    assert.deepEqual(pointed.provider, {
      myllm: {
        npm: "@ai-sdk/openai-compatible",
        options: {
          baseURL: "http://127.0.0.1:1234/p/myllm",
          apiKey: "{file:~/.config/drover/model-credential}",
          timeout: 5,
          droverUpstream: "https://llm.example/v1",
        },
        models: { m: {} },
      },
      anthropic: {
        options: {
          baseURL: "http://127.0.0.1:1234/p/anthropic",
          apiKey: "{file:~/.config/drover/model-credential}",
        },
      },
    });
    assert.ok(!JSON.stringify(pointed).includes("{env:"));
    assert.ok(!JSON.stringify(pointed).includes("pw@"));
    assert.equal(config.provider.myllm.options.apiKey, "{env:MYLLM_API_KEY}", "the input is not changed");
  });
});
