import assert from "node:assert/strict";
import { statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { apiTokenFile, ensureApiToken } from "../../src/security/api-token.ts";
import { createServer } from "../../src/server/create-server.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

describe("daemon HTTP API", () => {
  let h: EngineHarness;
  let api: ReturnType<typeof createServer>;
  let token: string;
  before(async () => {
    h = await startHarness({ outcome: "text" });
    const stateDir = path.join(h.root, "state");
    token = ensureApiToken(stateDir);
    assert.equal(statSync(apiTokenFile(stateDir)).mode & 0o777, 0o600, "token file is private");
    assert.equal(ensureApiToken(stateDir), token, "the token is kept across starts");
    api = createServer({
      store: h.app.store,
      supervisor: h.app.supervisor,
      engine: h.app.engine,
      bus: h.app.bus,
      token,
      parseTasks: (body) =>
        parseTaskDocument(body, "request", {
          model: "drover/scripted",
          timeoutMs: 60_000,
          baseDir: h.workDir,
        }),
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  const call = (method: string, route: string, body?: unknown, auth: string | null = token) =>
    api.request(route, {
      method,
      headers: {
        ...(auth !== null ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it("refuses requests without the bearer token or with a wrong one", async () => {
    const none = await call("GET", "/v1/status", undefined, null);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="drover"');
    assert.equal((await call("GET", "/v1/status", undefined, "drv_wrong")).status, 401);
    assert.equal(
      (await call("POST", "/v1/batches", { tasks: [{ id: "x", prompt: "y" }] }, "nope")).status,
      401,
    );
    const ok = await call("GET", "/v1/status");
    assert.equal(ok.status, 200);
    const status = (await ok.json()) as { capacity: { slots: number; free: number }; why: string };
    assert.ok(status.capacity.slots >= 1 && typeof status.why === "string");
  });

  it("submits a batch, reports it, and does not create a task twice for the same idempotency key", async () => {
    const body = { tasks: [{ id: "once", prompt: "[[reply hello]]", idempotencyKey: "issue-42" }] };
    const first = await call("POST", "/v1/batches", body);
    assert.equal(first.status, 201);
    const created = (await first.json()) as { batchId: string; created: string[] };
    assert.deepEqual(created.created, ["once"]);
    const second = await call("POST", "/v1/batches", body);
    assert.equal(second.status, 200);
    const repeat = (await second.json()) as { created: string[]; existing: { batchId: string }[] };
    assert.deepEqual(repeat.created, []);
    assert.equal(repeat.existing[0]?.batchId, created.batchId);
    await h.app.supervisor.whenBatchDone(created.batchId);
    const results = (await (await call("GET", `/v1/batches/${created.batchId}`)).json()) as {
      tasks: { status: string }[];
    };
    assert.deepEqual(
      results.tasks.map((t) => t.status),
      ["succeeded"],
    );
    const task = (await (await call("GET", `/v1/batches/${created.batchId}/tasks/once`)).json()) as {
      attempts: unknown[];
    };
    assert.equal(task.attempts.length, 1);
  });

  it("rejects bad submissions with 400 and every issue", async () => {
    const response = await call("POST", "/v1/batches", {
      tasks: [{ id: "a" }, { id: "a", prompt: "x", dependsOn: ["zz"] }],
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    assert.equal(body.error.code, "bad_input");
    assert.ok(body.error.issues.some((issue) => issue.path === "tasks[0].prompt"));
    assert.equal((await call("GET", "/v1/batches/bat_nope")).status, 404);
  });

  it("cancels a running task and retries it", async () => {
    const submitted = (await (
      await call("POST", "/v1/batches", {
        tasks: [{ id: "slow", prompt: "[[slow 300]] [[reply a b c d e f g h i j k l]]" }],
      })
    ).json()) as { batchId: string };
    const running = new Promise<void>((resolve) => {
      const off = h.app.bus.subscribe((e) => {
        if (e.type === "attempt.progress" && e.batchId === submitted.batchId && e.liveness === "thinking") {
          off();
          resolve();
        }
      });
    });
    await running;
    assert.equal((await call("POST", `/v1/batches/${submitted.batchId}/tasks/slow/cancel`)).status, 200);
    await h.app.supervisor.whenBatchDone(submitted.batchId);
    assert.equal(h.app.store.getTask({ batchId: submitted.batchId, taskId: "slow" })?.state, "cancelled");
    const retried = await call("POST", `/v1/batches/${submitted.batchId}/tasks/slow/retry`);
    assert.equal(retried.status, 200);
    await h.app.supervisor.whenBatchDone(submitted.batchId);
    assert.equal(h.app.store.getTask({ batchId: submitted.batchId, taskId: "slow" })?.state, "succeeded");
    assert.equal(
      (await call("POST", `/v1/batches/${submitted.batchId}/tasks/slow/retry`)).status,
      409,
      "a succeeded task cannot be retried",
    );
  });

  it("streams events over SSE, replaying after Last-Event-ID", async () => {
    const all = h.app.store.listEvents();
    const from = all[Math.floor(all.length / 2)]?.seq ?? 0;
    const controller = new AbortController();
    const response = await api.request("/v1/events/stream", {
      headers: { authorization: `Bearer ${token}`, "last-event-id": String(from) },
      signal: controller.signal,
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while ((text.match(/\n\n/g) ?? []).length < 3)
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(ids[0], from + 1, "replay starts right after Last-Event-ID");
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  });
});
