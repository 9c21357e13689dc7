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
    api = createServer(deps());
  });
  const deps = () => ({
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

  /** `t0` depends on `t1`, …; with `closed`, the last depends on `t0`. */
  const chain = (n: number, closed: boolean) => ({
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      prompt: "[[reply done]]",
      ...(i + 1 < n || closed ? { dependsOn: [`t${(i + 1) % n}`] } : {}),
    })),
  });

  it("accepts a 10,000-task chain (201) and refuses a 10,000-task cycle (400, naming it)", async () => {
    const accepted = await call("POST", "/v1/batches", chain(10_000, false));
    assert.equal(accepted.status, 201);
    const { batchId, created } = (await accepted.json()) as { batchId: string; created: string[] };
    assert.equal(created.length, 10_000);
    // Cancelling the one task nothing waits on blocks the other 9,999 in one pass.
    assert.equal((await call("POST", `/v1/batches/${batchId}/tasks/t9999/cancel`)).status, 200);
    await h.app.supervisor.whenBatchDone(batchId);

    const refused = await call("POST", "/v1/batches", chain(10_000, true));
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { code: string; issues: { message: string }[] } };
    assert.equal(body.error.code, "bad_input");
    assert.match(body.error.issues[0]?.message ?? "", /^dependency cycle of 10000 tasks: t0 → t1 → /);
  });

  it("refuses a body over daemon.maxBodySize with 413 in the usual error shape", async () => {
    const small = createServer({
      ...deps(),
      maxBodySize: 1024,
      inboundHooks: {
        hooks: { alert: { secretEnv: "ALERT_SECRET", task: { id: "hook", prompt: "{{text}}" } } },
        secretOf: () => "secret",
        submit: () => Promise.reject(new Error("nothing over the limit is submitted")),
      },
    });
    const big = JSON.stringify({ tasks: [{ id: "a", prompt: "x".repeat(2000) }] });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const declared = await small.request("/v1/batches", {
      method: "POST",
      headers: { ...headers, "content-length": String(big.length) },
      body: big,
    });
    // A body sent in chunks, without a Content-Length, is counted as it arrives.
    const streamed = await small.request("/v1/batches", {
      method: "POST",
      headers,
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    // A webhook (no API token) is held to the same limit, and told in the same shape.
    const hook = await small.request("/v1/hooks/alert", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(big.length) },
      body: big,
    });
    for (const response of [declared, streamed, hook]) {
      assert.equal(response.status, 413);
      const body = (await response.json()) as { error: { code: string; message: string; issues: unknown[] } };
      assert.equal(body.error.code, "too_large");
      assert.match(body.error.message, /larger than 1024 bytes \(daemon\.maxBodySize\)/);
      assert.equal(body.error.issues.length, 1);
    }
    assert.equal(
      (await small.request("/v1/status", { headers: { authorization: `Bearer ${token}` } })).status,
      200,
      "requests without a body pass",
    );
  });

  it("refuses malformed query parameters with 400, naming the parameter", async () => {
    for (const route of ["/v1/events?limit=abc", "/v1/events?after=-1", "/v1/batches?limit=1e3"]) {
      const response = await call("GET", route);
      assert.equal(response.status, 400, route);
      const body = (await response.json()) as {
        error: { code: string; message: string; issues: { path: string }[] };
      };
      const name = (/\?(\w+)=/.exec(route) as RegExpExecArray)[1];
      assert.equal(body.error.code, "bad_input");
      assert.equal(body.error.issues[0]?.path, name);
      assert.match(body.error.message, new RegExp(`\\?${name}= must be a whole number`));
    }
    assert.equal((await call("GET", "/v1/events?limit=5&after=0")).status, 200);
  });

  it("refuses a malformed Last-Event-ID with 400 instead of replaying everything", async () => {
    const response = await api.request("/v1/events/stream", {
      headers: { authorization: `Bearer ${token}`, "last-event-id": "abc" },
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    assert.equal(body.error.code, "bad_input");
    assert.equal(body.error.issues[0]?.path, "Last-Event-ID");
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
