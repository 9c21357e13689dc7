import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { OpencodeSettings } from "../../src/config/schema.ts";
import { prepareEngineHome } from "../../src/engines/opencode/engine-home.ts";
import { generateOpencodeConfig } from "../../src/engines/opencode/opencode-config.ts";
import { pickServer } from "../../src/engines/opencode/pick-server.ts";
import { resolveOpencodeBin } from "../../src/engines/opencode/resolve-opencode-bin.ts";
import { serverEnv } from "../../src/engines/opencode/server-env.ts";
import { spawnServer } from "../../src/engines/opencode/server-process.ts";
import { startScriptedModel } from "../../src/mock-model/server.ts";
import { dispatchBatch } from "../../src/supervisor/dispatch-batch.ts";
import { startHarness } from "../helpers/engine-harness.ts";
import { isAlive } from "../helpers/processes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitForEvent } from "../helpers/wait-for.ts";

describe("picking a server", () => {
  const server = (name: string, load: number, lost = false) => ({ name, load, lost });

  it("takes the least-loaded server that is up", () => {
    const servers = [
      server("opencode-1", 2),
      undefined,
      server("opencode-2", 1),
      server("opencode-3", 0, true),
    ];
    assert.equal(pickServer(servers)?.name, "opencode-2");
    assert.equal(pickServer([undefined, server("opencode-1", 0, true)]), undefined);
  });

  it("avoids the server an attempt was restarted away from, even when it is the least loaded", () => {
    const servers = [server("opencode-1", 0), server("opencode-2", 3), server("opencode-3", 1)];
    assert.equal(pickServer(servers, "opencode-1")?.name, "opencode-3");
  });

  it("falls back to the avoided server when no other is up", () => {
    const avoided = server("opencode-1", 4);
    assert.equal(pickServer([avoided, server("opencode-2", 0, true), undefined], "opencode-1"), avoided);
  });
});

describe("OpenCode server pool", () => {
  it("replaces a server that dies mid-attempt; the attempt fails as engine_crashed and a fresh one succeeds", async () => {
    const h = await startHarness({ outcome: "text" });
    try {
      const started = waitForEvent(
        h.app.bus,
        (e) => e.type === "attempt.progress" && e.liveness === "thinking",
      );
      const pending = h.run([h.task("doomed", "[[slow 300]] [[reply a b c d e f g h i j]]")]);
      await started;
      const victim = h.serverGroups[0] as number;
      const replaced = waitForEvent(
        h.app.bus,
        (e) => e.type === "engine.server" && e.state === "ready" && e.pid !== victim,
      );
      process.kill(-victim, "SIGKILL");
      const results = await pending;
      assert.equal(results.tasks[0]?.status, "succeeded");
      assert.equal(results.tasks[0]?.attempts, 2);
      const [first, second] = h.app.store.listAttempts(results.batch.id, "doomed");
      assert.equal(first?.failure?.type, "engine_crashed");
      assert.equal(second?.kind, "fresh");
      assert.notEqual(second?.sessionId, first?.sessionId);
      await replaced;
      assert.equal(isAlive(victim), false);
      const again = await h.run([h.task("after", "[[reply still working]]")]);
      assert.equal(again.tasks[0]?.status, "succeeded");
    } finally {
      const left = await h.close();
      assert.deepEqual(left, []);
    }
  });

  it("attaches to a user's running opencode serve (the warm-server method) with its password", async () => {
    const temp = makeTempDir();
    const model = await startScriptedModel();
    const password = randomBytes(12).toString("hex");
    const home = prepareEngineHome(path.join(temp.dir, "user-server"));
    const config = generateOpencodeConfig({
      settings: OpencodeSettings.parse({}),
      model: "drover/scripted",
      scriptedBaseURL: model.baseURL,
    });
    const userServer = await spawnServer({
      bin: resolveOpencodeBin(undefined),
      cwd: home.root,
      env: serverEnv({
        parent: process.env,
        allowlist: ["PATH"],
        home,
        config,
        password,
        ownerTag: temp.dir,
      }),
      logFile: path.join(temp.dir, "user-server.log"),
      startTimeoutMs: 30_000,
    });
    const work = path.join(temp.dir, "work");
    mkdirSync(work);
    try {
      const loaded = loadConfig({
        cwd: temp.dir,
        env: { DROVER_OPENCODE_ATTACH: userServer.url },
        flags: { stateDir: path.join(temp.dir, "state"), outcome: "text" },
      });
      // A wrong password is refused with a clear error.
      await assert.rejects(
        createApp({ loaded, env: { DROVER_OPENCODE_PASSWORD: "wrong" }, models: [] }),
        /no healthy OpenCode server at/,
      );
      const app = await createApp({ loaded, env: { DROVER_OPENCODE_PASSWORD: password }, models: [] });
      await app.supervisor.start();
      try {
        const results = await dispatchBatch({
          store: app.store,
          engine: app.engine,
          supervisor: app.supervisor,
          specs: [
            {
              id: "remote",
              prompt: "[[write attached.txt via the user's server]] [[reply done remotely]]",
              title: "remote",
              dir: work,
              model: "drover/scripted",
              files: [],
              timeoutMs: 60_000,
              dependsOn: [],
            },
          ],
          source: "test",
        });
        assert.equal(results.tasks[0]?.status, "succeeded");
        assert.equal(results.tasks[0]?.outcome?.summary, "done remotely");
        assert.deepEqual(results.tasks[0]?.filesChanged, ["attached.txt"]);
      } finally {
        await app.close();
      }
      assert.equal(isAlive(userServer.pid), true, "drover leaves a server it attached to running");
    } finally {
      await userServer.stop();
      await model.close();
      temp.cleanup();
    }
  });
});
