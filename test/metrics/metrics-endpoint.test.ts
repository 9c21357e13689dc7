import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { DroverEvent } from "../../src/core/events.ts";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { ensureApiToken } from "../../src/security/api-token.ts";
import { createServer } from "../../src/server/create-server.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";
import { parsePrometheusText, sampleSum, sampleValue } from "../helpers/prometheus-text.ts";
import { waitForEvent } from "../helpers/wait-for.ts";

describe("GET /metrics on a real app (scripted model)", () => {
  let h: EngineHarness;
  let api: ReturnType<typeof createServer>;
  let token: string;
  before(async () => {
    h = await startHarness({}, { freeMemoryMb: () => 64_000 });
    token = ensureApiToken(path.join(h.root, "state"));
    api = createServer({
      store: h.app.store,
      supervisor: h.app.supervisor,
      engine: h.app.engine,
      bus: h.app.bus,
      token,
      metrics: () => h.app.metrics.scrape(),
      parseTasks: (body: unknown) =>
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

  const scrape = async () => {
    const response = await api.request("/metrics", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };
  const finished = () =>
    h.events.filter((event): event is Extract<DroverEvent, { type: "attempt.finished" }> => {
      return event.type === "attempt.finished";
    });

  it("is refused without the bearer token, like the rest of the API", async () => {
    const none = await api.request("/metrics");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="drover"');
    const wrong = await api.request("/metrics", { headers: { authorization: "Bearer drv_wrong" } });
    assert.equal(wrong.status, 401);
  });

  it("counts a finished batch: tasks by state, attempts by status, tokens and cost by model, slots, servers", async () => {
    const results = await h.run([
      h.task("small", "[[tokens 1000 50]] [[reply one]]"),
      h.task("large", "[[tokens 2000 70]] [[reply two]]"),
      h.task("denied", "[[error 401]]"),
    ]);
    assert.deepEqual(
      results.tasks.map((task) => [task.id, task.status]),
      [
        ["small", "succeeded"],
        ["large", "succeeded"],
        ["denied", "failed"],
      ],
    );
    const samples = await scrape();

    assert.equal(sampleValue(samples, "drover_tasks", { state: "succeeded" }), 2);
    assert.equal(sampleValue(samples, "drover_tasks", { state: "failed" }), 1);
    assert.equal(sampleValue(samples, "drover_tasks", { state: "running" }), 0);
    assert.equal(sampleSum(samples, "drover_tasks"), 3);

    const ended = finished();
    const byStatus = (status: string) => ended.filter((event) => event.status === status).length;
    assert.ok(byStatus("succeeded") >= 2 && byStatus("failed") >= 1);
    for (const status of ["succeeded", "failed", "blocked", "timed_out", "cancelled"]) {
      assert.equal(
        sampleValue(samples, "drover_attempts_finished_total", { status }),
        byStatus(status),
        status,
      );
    }
    assert.equal(sampleSum(samples, "drover_attempts_started_total"), ended.length);
    assert.equal(sampleSum(samples, "drover_attempts_running"), 0, "nothing runs after the batch");

    // Tokens: the scripted model reports 1000 + 2000 input tokens per request of the two tasks.
    const model = "drover/scripted";
    for (const kind of ["input", "output"] as const) {
      const expected = ended.reduce((sum, event) => sum + event.tokens[kind], 0);
      assert.equal(sampleValue(samples, "drover_tokens_total", { model, kind }), expected, kind);
    }
    assert.ok((sampleValue(samples, "drover_tokens_total", { model, kind: "input" }) ?? 0) >= 3000);
    assert.equal(sampleValue(samples, "drover_cost_usd_total", { model }), 0, "the scripted model is free");

    assert.equal(sampleValue(samples, "drover_slots"), 4, "maxWorkers 4 decides with 64 GB free");
    assert.equal(sampleValue(samples, "drover_slots_used"), 0);
    assert.equal(sampleValue(samples, "drover_slots_free"), 4);
    assert.equal(sampleValue(samples, "drover_capacity_limited_by", { limit: "maxWorkers" }), 1);
    assert.equal(sampleValue(samples, "drover_queue_depth"), 0);
    assert.equal(sampleValue(samples, "drover_servers", { state: "ready" }), 1);
    assert.equal(
      sampleValue(samples, "drover_fleet_hosts", { state: "up" }),
      undefined,
      "no fleet configured",
    );
    assert.ok((sampleValue(samples, "drover_process_resident_memory_bytes") ?? 0) > 0, "process metrics");
  });

  it("shows a running attempt by liveness and its slot, then the cancellation", async () => {
    const started = waitForEvent(
      h.app.bus,
      (event) => event.type === "attempt.started" && event.taskId === "hung",
    );
    const cancel = new AbortController();
    const run = h.run([h.task("hung", "[[hang]]")], { signal: cancel.signal });
    await started;
    const during = await scrape();
    assert.equal(sampleSum(during, "drover_attempts_running"), 1);
    const liveness = during.find((sample) => sample.name === "drover_attempts_running" && sample.value === 1);
    assert.ok(
      liveness && ["starting", "thinking"].includes(liveness.labels.liveness ?? ""),
      "starting or thinking",
    );
    assert.equal(sampleValue(during, "drover_tasks", { state: "running" }), 1);
    assert.equal(sampleValue(during, "drover_slots_used"), 1);
    assert.equal(sampleValue(during, "drover_slots_free"), 3);

    cancel.abort();
    const results = await run;
    assert.equal(results.tasks[0]?.status, "cancelled");
    const afterwards = await scrape();
    assert.equal(sampleSum(afterwards, "drover_attempts_running"), 0);
    assert.equal(sampleValue(afterwards, "drover_tasks", { state: "cancelled" }), 1);
    assert.equal(
      sampleValue(afterwards, "drover_attempts_finished_total", { status: "cancelled" }),
      finished().filter((event) => event.status === "cancelled").length,
    );
    assert.equal(sampleValue(afterwards, "drover_slots_used"), 0);
  });
});
