import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isProcessAlive } from "../../src/core/process-alive.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const levels = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);

/** Every line of a log, parsed; fails naming a line that is not a pino JSON line. */
function logLines(text: string, name: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.ok(levels.has(parsed.level as string), `level in ${line}`);
      assert.ok(!Number.isNaN(Date.parse(parsed.time as string)), `ISO time in ${line}`);
      assert.equal(typeof parsed.msg, "string", `msg in ${line}`);
      assert.equal(parsed.name, name, `name in ${line}`);
      return parsed;
    });
}

describe("the detached daemon's daemon.log and its /metrics", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let project: string;
  let daemon: { pid: number; url: string; logFile: string } | undefined;
  const env = { DROVER_LOG_LEVEL: "debug" };
  const cli = async (...args: string[]) => {
    const run = runDrover(args, { cwd: project, env });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  before(() => {
    temp = makeTempDir();
    project = temp.dir;
    writeFileSync(path.join(project, "drover.json"), JSON.stringify({ capacity: { ramReserveMb: 0 } }));
  });
  after(() => {
    if (daemon && isProcessAlive(daemon.pid)) process.kill(daemon.pid, "SIGKILL");
    const left = processesOwnedBy(path.join(project, ".drover", "engines", "opencode"));
    for (const pid of left) process.kill(pid, "SIGKILL");
    temp.cleanup();
    assert.deepEqual(left, []);
  });

  it("serves token-protected metrics of what it ran, and logs it all as pino JSON lines", {
    timeout: 180_000,
  }, async () => {
    const started = await cli("daemon", "--detach", "--port", "0", "--json");
    assert.equal(started.code, 0, started.err);
    daemon = JSON.parse(started.out) as { pid: number; url: string; logFile: string };
    const token = readFileSync(path.join(project, ".drover", "api-token"), "utf8").trim();

    assert.equal((await fetch(`${daemon.url}/metrics`)).status, 401);
    const submitted = await cli("submit", "-p", "[[tokens 500 40]] [[reply logged]]", "--json");
    assert.equal(submitted.code, 0, submitted.err);
    const { batchId } = JSON.parse(submitted.out) as { batchId: string };
    const waited = await cli("wait", batchId);
    assert.equal(waited.code, 0, waited.err);

    const response = await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const samples = parsePrometheusText(await response.text());
    assert.equal(sampleValue(samples, "drover_tasks", { state: "succeeded" }), 1);
    assert.equal(sampleValue(samples, "drover_attempts_finished_total", { status: "succeeded" }), 1);
    assert.ok(
      (sampleValue(samples, "drover_tokens_total", { model: "drover/scripted", kind: "input" }) ?? 0) >= 500,
    );
    assert.ok((sampleValue(samples, "drover_slots") ?? 0) >= 1);

    const stopped = await cli("daemon", "stop");
    assert.equal(stopped.code, 0, stopped.err);
    const text = readFileSync(daemon.logFile, "utf8");
    const lines = logLines(text, "drover-daemon");
    const messages = lines.map((line) => line.msg as string);
    assert.ok(messages.some((msg) => /^drover daemon listening on http:\/\/127\.0\.0\.1:\d+/.test(msg)));
    assert.ok(lines.some((line) => line.event === "engine.server" && line.state === "ready"));
    assert.ok(
      lines.some((line) => line.event === "attempt.started" && line.level === "debug"),
      "debug level from env",
    );
    assert.ok(lines.some((line) => line.event === "batch.finished" && line.batchId === batchId));
    assert.ok(
      lines.some(
        (line) => line.event === "task.state" && line.to === "succeeded" && line.msg === "task p1 succeeded",
      ),
    );
    assert.equal(messages.at(-1), "drover daemon stopped");
    assert.ok(
      lines.every((line) => line.pid === daemon?.pid),
      "one process wrote the log",
    );
    assert.equal(text.includes(token), false, "the API token never reaches the log");
  });
});

describe("drover worker's log", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let redis: TestRedis;
  before(async () => {
    temp = makeTempDir();
    redis = await startTestRedis(temp.dir);
  });
  after(async () => {
    await redis.kill();
    temp.cleanup();
  });

  it("is pino JSON lines on stdout, and the --json events keep stdout to themselves", {
    timeout: 120_000,
  }, async () => {
    const redisUrl = `redis://127.0.0.1:${redis.port}`;
    const stateDir = path.join(temp.dir, "worker");
    const plain = runDrover(["worker", "--redis", redisUrl, "--host-name", "h1", "--state-dir", stateDir], {
      cwd: temp.dir,
    });
    await plain.waitForOutput(/ready: \d+ slots/);
    plain.child.kill("SIGTERM");
    assert.equal(await plain.exited, 0, plain.stderr());
    const lines = logLines(plain.stdout(), "drover-worker");
    const ready = lines.find((line) => /^drover worker h1 \(.+\) ready/.test(line.msg as string));
    assert.equal(ready?.host, "h1");
    assert.equal(ready?.level, "info");
    assert.ok(lines.some((line) => line.event === "engine.server" && line.state === "ready"));
    assert.ok(lines.some((line) => line.signal === "SIGTERM"));
    assert.equal(lines.at(-1)?.msg, "drover worker stopped");
    assert.equal(plain.stderr(), "", "nothing went wrong, nothing on stderr");
    assert.deepEqual(processesOwnedBy(path.join(stateDir, "engines", "opencode")), []);

    const json = runDrover(
      ["worker", "--redis", redisUrl, "--host-name", "h2", "--json", "--state-dir", stateDir],
      {
        cwd: temp.dir,
      },
    );
    await json.waitForOutput(/"worker.ready"/);
    json.child.kill("SIGTERM");
    assert.equal(await json.exited, 0, json.stderr());
    const events = json
      .stdout()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type?: string; level?: string });
    assert.ok(
      events.every((event) => typeof event.type === "string" && event.level === undefined),
      "events only",
    );
    assert.ok(events.some((event) => event.type === "worker.ready"));
    assert.ok(logLines(json.stderr(), "drover-worker").some((line) => line.msg === "drover worker stopped"));
  });
});
