import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { RoutingSettings } from "../../src/config/routing-settings.ts";
import { claudeDialect } from "../../src/engines/claude/claude-dialect.ts";
import { chooseRoute, fallbackAfter } from "../../src/routing/route.ts";
import { cachedClaudeOAuth, findClaudeOAuth } from "../../src/security/claude-oauth.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const routing = RoutingSettings.parse({
  tiers: {
    cheap: ["p/small", { engine: "codex", model: "openai/gpt-5-mini" }],
    strong: ["anthropic/claude-sonnet-4-5"],
  },
});

describe("model routing", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  const plantCredentials = () => {
    mkdirSync(path.join(temp.dir, ".claude"));
    writeFileSync(
      path.join(temp.dir, ".claude", ".credentials.json"),
      JSON.stringify({
        claudeAiOauth: { accessToken: "sk-ant-oat01-fake", refreshToken: "r", expiresAt: 1 },
      }),
    );
  };

  it("runs a tier's candidates in order, each on its engine, and says which", () => {
    const first = chooseRoute(routing, { spec: { tier: "cheap" }, model: "p/small" }, undefined);
    assert.deepEqual(first, {
      tier: "cheap",
      candidate: 0,
      engine: "opencode",
      model: "p/small",
      reason: "tier cheap, candidate 1 of 2",
    });
    const second = chooseRoute(routing, { spec: { tier: "cheap" }, model: "openai/gpt-5-mini" }, undefined);
    assert.equal(second.engine, "codex");
    assert.equal(second.candidate, 1);
    const named = chooseRoute(routing, { spec: { engine: "shell" }, model: "p/any" }, undefined);
    assert.deepEqual(named, { engine: "shell", model: "p/any", reason: "the task names p/any" });
  });

  it("falls back along the tier, then to the next tier, then nowhere", () => {
    const at = (model: string) => ({ spec: { tier: "cheap" }, model });
    assert.deepEqual(fallbackAfter(routing, at("p/small")), {
      model: "openai/gpt-5-mini",
      candidate: 1,
      tier: "cheap",
      escalated: false,
    });
    assert.deepEqual(fallbackAfter(routing, at("openai/gpt-5-mini")), {
      model: "anthropic/claude-sonnet-4-5",
      candidate: 0,
      tier: "strong",
      escalated: true,
    });
    assert.equal(fallbackAfter(routing, at("anthropic/claude-sonnet-4-5")), undefined);
    assert.equal(
      fallbackAfter(routing, { spec: {}, model: "p/small" }),
      undefined,
      "a named model has no fallback",
    );
  });

  it("sends Anthropic work to Claude Code when subscription credentials are planted, and not without", () => {
    const env = { HOME: temp.dir };
    const at = { spec: { tier: "strong" }, model: "anthropic/claude-sonnet-4-5" };
    assert.equal(findClaudeOAuth(env), undefined);
    assert.equal(chooseRoute(routing, at, findClaudeOAuth(env)).engine, "opencode");
    plantCredentials();
    const oauth = findClaudeOAuth(env);
    assert.equal(oauth?.file, path.join(temp.dir, ".claude", ".credentials.json"));
    const chosen = chooseRoute(routing, at, oauth);
    assert.equal(chosen.engine, "claude");
    assert.match(chosen.reason, /Claude subscription credentials \(.*\.credentials\.json\)/);
    // Not for other providers, not against an engine the candidate names, not with preferOAuth off.
    assert.equal(
      chooseRoute(routing, { spec: { tier: "cheap" }, model: "p/small" }, oauth).engine,
      "opencode",
    );
    assert.equal(
      chooseRoute(routing, { spec: { engine: "codex" }, model: "anthropic/claude-sonnet-4-5" }, oauth).engine,
      "codex",
    );
    assert.equal(chooseRoute({ ...routing, preferOAuth: false }, at, oauth).engine, "opencode");
    // The environment's token counts too, and wins over the file.
    assert.equal(
      findClaudeOAuth({ ...env, CLAUDE_CODE_OAUTH_TOKEN: "tok" })?.source,
      "CLAUDE_CODE_OAUTH_TOKEN",
    );
  });

  it("looks for credentials once per five minutes of the clock", () => {
    let now = 0;
    const clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };
    const lookup = cachedClaudeOAuth({ HOME: temp.dir }, clock);
    assert.equal(lookup(), undefined);
    plantCredentials();
    now += 299_000;
    assert.equal(lookup(), undefined, "cached");
    now += 1_000;
    assert.ok(lookup(), "looked again after 5 minutes");
    rmSync(path.join(temp.dir, ".claude"), { recursive: true });
    assert.ok(lookup(), "still cached");
  });

  it("signs Claude Code in with the subscription instead of pointing it at the gateway", () => {
    const request = { maxFailedRequests: 1 } as Parameters<typeof claudeDialect.env>[2];
    const viaGateway = claudeDialect.env(
      { baseURL: "http://gw/v1", key: "cred", model: "m", free: false },
      "/h",
      request,
    );
    assert.equal(viaGateway.ANTHROPIC_BASE_URL, "http://gw/v1");
    const withToken = claudeDialect.env(
      {
        baseURL: "",
        key: "",
        model: "m",
        free: false,
        oauth: { source: "CLAUDE_CODE_OAUTH_TOKEN", token: "tok" },
      },
      "/h",
      request,
    );
    assert.equal(withToken.CLAUDE_CODE_OAUTH_TOKEN, "tok");
    assert.equal(withToken.ANTHROPIC_BASE_URL, undefined);
    assert.equal(withToken.ANTHROPIC_API_KEY, undefined);
  });

  it("refuses a bad candidate in the config, naming its path", () => {
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ routing: { tiers: { cheap: ["nomodel"] } } }),
    );
    assert.throws(
      () => loadConfig({ cwd: temp.dir, env: {} }),
      (error: Error & { issues?: { path: string }[] }) =>
        error.issues?.some((issue) => issue.path.startsWith("routing.tiers.cheap")) ?? false,
    );
  });
});
