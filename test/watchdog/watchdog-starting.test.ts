import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { DroverEvent } from "../../src/core/events.ts";
import { OpencodeServerEngine } from "../../src/engines/opencode/opencode-engine.ts";
import type { BatchResults } from "../../src/supervisor/batch-results.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

// The watchdog's `starting` state with real OpenCode: the session is created and the prompt
// accepted, but OpenCode never makes the model request, because a project-local plugin holds the
// first marked prompt in its `chat.message` hook. The watchdog starts the attempt again, and the
// engine puts the new attempt on the pool's other server.

const holdPlugin = fileURLToPath(
  new URL("../fixtures/opencode-plugins/hold-first-prompt.js", import.meta.url),
);

type WatchdogEvent = Extract<DroverEvent, { type: "watchdog.action" }>;

describe("watchdog: an attempt stuck before its model request (real OpenCode)", () => {
  let h: EngineHarness;
  let results: BatchResults;
  let engine: OpencodeServerEngine;
  before(async () => {
    h = await startHarness({
      "opencode.servers": 2,
      taskTimeout: "90s",
      "watchdog.startTimeout": "5s",
      "retry.maxAttempts": 3,
    });
    assert.ok(h.app.engine instanceof OpencodeServerEngine);
    engine = h.app.engine;
    const plugins = path.join(h.workDir, ".opencode", "plugin");
    mkdirSync(plugins, { recursive: true });
    copyFileSync(holdPlugin, path.join(plugins, "hold-first-prompt.js"));
    // Both servers up, with the directory's instance (and its plugin) booted: the only thing that
    // keeps the first attempt from its model request is the plugin, not a cold start.
    await waitFor(() => engine.pool.servers.filter((server) => !server.lost).length === 2, 60_000);
    await engine.prepare([h.workDir]);
    results = await h.run([h.task("held", "HOLD-FIRST-PROMPT [[reply started at last]]")]);
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("starts the attempt again on the other server, where it succeeds", () => {
    const [first, second, ...more] = h.app.store.listAttempts(results.batch.id, "held");
    assert.equal(more.length, 0, "exactly two attempts");
    assert.ok(first?.server && second?.server);
    const held = readFileSync(path.join(h.workDir, ".opencode", "held"), "utf8");
    assert.equal(
      held,
      engine.pool.byName(first.server)?.process?.serverId,
      "the plugin held the first attempt",
    );

    const actions = h.events.filter((e): e is WatchdogEvent => e.type === "watchdog.action");
    assert.deepEqual(
      actions.map((a) => [a.attemptId, a.state, a.remedy]),
      [[first.id, "starting", "restart"]],
    );
    assert.match(actions[0]?.message ?? "", new RegExp(`no model request .* away from ${first.server}$`));
    assert.equal(first.failure?.type, "watchdog");

    assert.notEqual(second.server, first.server, "the new attempt runs on the other server");
    assert.equal(second.kind, "fresh");
    assert.equal(results.tasks[0]?.status, "succeeded");
    assert.equal(results.tasks[0]?.attempts, 2);
  });
});
