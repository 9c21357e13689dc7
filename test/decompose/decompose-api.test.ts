import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hono } from "hono";
import { decomposeMarkedTasks } from "../../src/decompose/decompose-marked-tasks.ts";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { createServer } from "../../src/server/create-server.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

describe("decompose: true through POST /v1/batches (real OpenCode, scripted model)", () => {
  let h: EngineHarness;
  let api: Hono;
  let plain: Hono;
  const token = "drv_test_token";
  before(async () => {
    h = await startHarness();
    const deps = {
      store: h.app.store,
      supervisor: h.app.supervisor,
      engine: h.app.engine,
      bus: h.app.bus,
      token,
      parseTasks: (body: unknown) =>
        parseTaskDocument(body, "request", {
          model: "drover/scripted",
          timeoutMs: 60_000,
          baseDir: h.workDir,
        }),
    };
    // As the daemon wires it.
    api = createServer({
      ...deps,
      decomposeTasks: (document) =>
        decomposeMarkedTasks({
          document,
          engine: h.app.engine,
          config: h.app.loaded.config,
          stateDir: h.app.loaded.stateDir,
          source: "request",
        }),
    });
    plain = createServer(deps);
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  const post = (server: Hono, body: unknown) =>
    server.request("/v1/batches", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const body = {
    tasks: [
      {
        id: "notes",
        decompose: true,
        prompt: "Write notes\n- First note [[write one.txt 1]]\n- Second note after:1 [[write two.txt 2]]",
      },
      { id: "index", dependsOn: ["notes"], prompt: "[[bash ls]]" },
    ],
  };

  it("submits the subtasks in the task's place, its dependents after all of them", async () => {
    const response = await post(api, body);
    assert.equal(response.status, 201);
    const { batchId, created } = (await response.json()) as { batchId: string; created: string[] };
    assert.deepEqual(created, ["notes.1", "notes.2", "index"]);
    assert.deepEqual(h.app.store.getTask({ batchId, taskId: "index" })?.spec.dependsOn, [
      "notes.1",
      "notes.2",
    ]);
    await h.app.supervisor.whenBatchDone(batchId);
    assert.deepEqual(
      ["notes.1", "notes.2", "index"].map((taskId) => h.app.store.getTask({ batchId, taskId })?.state),
      ["succeeded", "succeeded", "succeeded"],
    );
  });

  it("refuses decompose: true where no decomposer is wired, creating nothing", async () => {
    const response = await post(plain, body);
    assert.equal(response.status, 400);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /decompose: true/,
    );
  });
});
