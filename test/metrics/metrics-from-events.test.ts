import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DroverEventBody, EventBus } from "../../src/core/events.ts";
import { zeroTokens } from "../../src/core/liveness.ts";
import { DroverMetrics } from "../../src/metrics/metrics-registry.ts";
import type { SupervisorStatus } from "../../src/supervisor/supervisor-status.ts";
import { parsePrometheusText, sampleSum, sampleValue } from "../helpers/prometheus-text.ts";

/** A metrics registry on its own bus, with what it reported. */
function metricsOnBus(withFleet = false) {
  const bus = new EventBus();
  const reported: DroverEventBody[] = [];
  const metrics = new DroverMetrics({
    bus,
    modelOf: () => "p/from-store",
    report: (event) => reported.push(event),
    withFleet,
  });
  let seq = 0;
  const publish = (body: DroverEventBody) => bus.publish({ ...body, seq: ++seq, ts: Date.now() });
  const scrape = async () => parsePrometheusText((await metrics.scrape()).body);
  return { bus, metrics, reported, publish, scrape };
}

const status = (overrides: Partial<SupervisorStatus> = {}): SupervisorStatus => ({
  owner: "daemon",
  capacity: {
    slots: 6,
    used: 2,
    free: 4,
    limitedBy: "fleet",
    freeMemoryMb: 1000,
    ramPerWorkerMb: 40,
  },
  running: 2,
  byState: { ready: 5, running: 2 },
  providerLimits: [],
  why: "fleet",
  ...overrides,
});

const key = { batchId: "bat_1", taskId: "t1" };

describe("metrics fed from events", () => {
  it("counts watchdog actions, attempts, tokens by model and kind, and follows liveness and servers", async () => {
    const { publish, scrape, metrics } = metricsOnBus();
    publish({ type: "engine.server", server: "opencode-1", state: "ready" });
    publish({ type: "engine.server", server: "opencode-2", state: "unhealthy" });
    publish({
      type: "attempt.started",
      ...key,
      attemptId: "att_1",
      number: 1,
      kind: "fresh",
      engine: "opencode",
      model: "p/m",
    });
    publish({
      type: "attempt.progress",
      ...key,
      attemptId: "att_1",
      liveness: "in_tool",
      tool: "bash",
      tokens: zeroTokens(),
    });
    // Started before this process: no attempt.started, its model comes from the store.
    publish({
      type: "attempt.progress",
      batchId: "bat_1",
      taskId: "t2",
      attemptId: "att_2",
      liveness: "stalled",
      tokens: zeroTokens(),
    });
    publish({
      type: "watchdog.action",
      ...key,
      attemptId: "att_1",
      state: "tool_hung",
      remedy: "kill_tool",
      message: "sleep 9999 hung",
      evidence: { outputBytes: 0, cpuMs: 0 },
    });
    publish({
      type: "watchdog.action",
      ...key,
      attemptId: "att_1",
      state: "tool_hung",
      remedy: "kill_tool",
      message: "again",
      evidence: {},
    });
    publish({
      type: "watchdog.action",
      ...key,
      attemptId: "att_1",
      state: "stalled",
      remedy: "continue",
      message: "quiet",
      evidence: {},
    });

    let samples = await scrape();
    assert.equal(sampleValue(samples, "drover_attempts_running", { liveness: "in_tool" }), 1);
    assert.equal(sampleValue(samples, "drover_attempts_running", { liveness: "stalled" }), 1);
    assert.equal(sampleValue(samples, "drover_attempts_running", { liveness: "thinking" }), 0);
    assert.equal(
      sampleValue(samples, "drover_watchdog_actions_total", { state: "tool_hung", remedy: "kill_tool" }),
      2,
    );
    assert.equal(
      sampleValue(samples, "drover_watchdog_actions_total", { state: "stalled", remedy: "continue" }),
      1,
    );
    assert.equal(sampleValue(samples, "drover_servers", { state: "ready" }), 1);
    assert.equal(sampleValue(samples, "drover_servers", { state: "unhealthy" }), 1);
    assert.equal(sampleValue(samples, "drover_tasks", { state: "ready" }), undefined, "no store given yet");

    const tokens = { input: 100, output: 20, reasoning: 7, cacheRead: 50, cacheWrite: 0 };
    publish({
      type: "attempt.finished",
      ...key,
      attemptId: "att_1",
      status: "succeeded",
      tokens,
      cost: 0.25,
      durationMs: 10,
    });
    publish({
      type: "attempt.finished",
      batchId: "bat_1",
      taskId: "t2",
      attemptId: "att_2",
      status: "failed",
      tokens,
      cost: 0.5,
      durationMs: 10,
    });
    // A progress report arriving after the end does not revive the attempt.
    publish({
      type: "attempt.progress",
      ...key,
      attemptId: "att_1",
      liveness: "thinking",
      tokens: zeroTokens(),
    });
    samples = await scrape();
    assert.equal(sampleSum(samples, "drover_attempts_running"), 0);
    assert.equal(sampleValue(samples, "drover_attempts_finished_total", { status: "succeeded" }), 1);
    assert.equal(sampleValue(samples, "drover_attempts_finished_total", { status: "failed" }), 1);
    assert.equal(sampleValue(samples, "drover_tokens_total", { model: "p/m", kind: "input" }), 100);
    assert.equal(sampleValue(samples, "drover_tokens_total", { model: "p/m", kind: "reasoning" }), 7);
    assert.equal(sampleValue(samples, "drover_tokens_total", { model: "p/m", kind: "cacheRead" }), 50);
    assert.equal(
      sampleValue(samples, "drover_tokens_total", { model: "p/m", kind: "cacheWrite" }),
      undefined,
    );
    assert.equal(sampleValue(samples, "drover_tokens_total", { model: "p/from-store", kind: "output" }), 20);
    assert.equal(sampleValue(samples, "drover_cost_usd_total", { model: "p/m" }), 0.25);
    assert.equal(sampleValue(samples, "drover_cost_usd_total", { model: "p/from-store" }), 0.5);
    metrics.close();
  });

  it("reads tasks, slots, queue depth and fleet hosts at scrape time; a failing source is a warning", async () => {
    const { metrics, reported, scrape } = metricsOnBus(true);
    const beat = {
      pid: 1,
      running: 0,
      freeMemoryMb: 1,
      droverVersion: "x",
      opencodeVersion: "y",
      protocol: 1,
      startedAt: 0,
      at: 0,
    };
    let broken = false;
    metrics.readFrom({
      countTasksByState: () => {
        if (broken) throw new Error("database is locked");
        return { succeeded: 7, ready: 5, running: 2 };
      },
      supervisorStatus: () => status(),
      fleetHosts: () => [
        { ...beat, workerId: "w1", host: "a", slots: 4, state: "up" },
        { ...beat, workerId: "w2", host: "b", slots: 2, state: "up" },
        { ...beat, workerId: "w3", host: "c", slots: 2, state: "lost" },
      ],
    });
    let samples = await scrape();
    assert.equal(sampleValue(samples, "drover_tasks", { state: "succeeded" }), 7);
    assert.equal(sampleValue(samples, "drover_tasks", { state: "failed" }), 0);
    assert.equal(sampleValue(samples, "drover_queue_depth"), 5);
    assert.equal(sampleValue(samples, "drover_slots"), 6);
    assert.equal(sampleValue(samples, "drover_slots_used"), 2);
    assert.equal(sampleValue(samples, "drover_slots_free"), 4);
    assert.equal(sampleValue(samples, "drover_capacity_limited_by", { limit: "fleet" }), 1);
    assert.equal(sampleValue(samples, "drover_fleet_hosts", { state: "up" }), 2);
    assert.equal(sampleValue(samples, "drover_fleet_hosts", { state: "lost" }), 1);
    assert.equal(sampleValue(samples, "drover_fleet_hosts", { state: "refused" }), 0);
    assert.equal(sampleValue(samples, "drover_fleet_host_slots", { host: "a", worker: "w1" }), 4);

    broken = true;
    samples = await scrape();
    assert.equal(sampleValue(samples, "drover_tasks", { state: "succeeded" }), undefined);
    assert.equal(sampleValue(samples, "drover_slots"), 6, "the other sources still answer");
    assert.deepEqual(reported, [
      { type: "warning", code: "metrics_tasks", message: "metrics: database is locked" },
    ]);
    metrics.close();
  });

  it("keeps one registry per app: two apps in one process count apart", async () => {
    const first = metricsOnBus();
    const second = metricsOnBus();
    first.publish({ type: "engine.server", server: "s", state: "ready" });
    assert.equal(sampleValue(await first.scrape(), "drover_servers", { state: "ready" }), 1);
    assert.equal(sampleValue(await second.scrape(), "drover_servers", { state: "ready" }), 0);
    first.metrics.close();
    first.publish({ type: "engine.server", server: "t", state: "ready" });
    assert.equal(
      sampleValue(await first.scrape(), "drover_servers", { state: "ready" }),
      1,
      "closed: no longer listening",
    );
    second.metrics.close();
  });
});
