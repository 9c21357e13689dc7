import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import type { DroverEvent } from "../../src/core/events.ts";
import { zeroTokens } from "../../src/core/liveness.ts";
import { eventLogger } from "../../src/logging/event-log.ts";
import { createLogger, type LogLevel } from "../../src/logging/logger.ts";

/** A logger writing into memory: `out()` and `err()` are its parsed lines. */
function memoryLogger(level: LogLevel = "info") {
  const streams = { out: new PassThrough(), err: new PassThrough() };
  const text = { out: "", err: "" };
  streams.out.on("data", (chunk: Buffer) => (text.out += chunk.toString()));
  streams.err.on("data", (chunk: Buffer) => (text.err += chunk.toString()));
  const log = createLogger({
    name: "drover-test",
    level,
    ...streams,
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
  });
  // PassThrough delivers on the next turn; every line is written synchronously before that.
  const lines = async (which: "out" | "err") => {
    await new Promise((resolve) => setImmediate(resolve));
    return text[which]
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { log, raw: text, out: () => lines("out"), err: () => lines("err") };
}

const openaiKey = "sk-proj4Xc9Vb2Nm7Lk1Jh3Gf5Ds8Aq0Wz6Er";
const apiToken = "drv_Q2hhbmdlTWVQbGVhc2VOb3dPaw";
const event = (body: Record<string, unknown>) => ({ seq: 7, ts: 1_700_000_000_000, ...body }) as DroverEvent;

describe("logger: JSON lines with secrets redacted", () => {
  it("writes level, time, name, pid, msg and fields as one JSON line", async () => {
    const { log, out } = memoryLogger();
    log.info({ batchId: "bat_1", slots: 4 }, "hello");
    log.debug("below the level: not written");
    const [line, ...rest] = await out();
    assert.deepEqual(rest, []);
    assert.equal(line?.level, "info");
    assert.equal(line?.time, "2026-01-02T03:04:05.000Z");
    assert.equal(line?.msg, "hello");
    assert.equal(line?.name, "drover-test");
    assert.equal(line?.pid, process.pid);
    assert.equal(line?.batchId, "bat_1");
    assert.equal(line?.slots, 4);
  });

  it("masks tokens, passwords, API keys, authorization headers and Redis passwords in fields", async () => {
    const { log, out, raw } = memoryLogger();
    log.info(
      {
        token: apiToken,
        password: "hunter2",
        apiKey: "plain-looking-value",
        headers: { authorization: `Bearer ${apiToken}`, accept: "text/plain" },
        request: { options: { api_key: "k", client_secret: "c" } },
        redis: "redis://:s3cretPass@10.0.0.5:6379/2",
        queue: { redisUrl: "rediss://fleet:An0therPass@redis.example:6380" },
        detail: `provider said: invalid key ${openaiKey}`,
        tokens: { input: 12, output: 3 },
      },
      "request sent",
    );
    const [line] = await out();
    assert.equal(line?.token, "[redacted]");
    assert.equal(line?.password, "[redacted]");
    assert.equal(line?.apiKey, "[redacted]");
    assert.deepEqual(line?.headers, { authorization: "[redacted]", accept: "text/plain" });
    assert.deepEqual(line?.request, { options: { api_key: "[redacted]", client_secret: "[redacted]" } });
    assert.equal(line?.redis, "redis://:[redacted]@10.0.0.5:6379/2", "the URL stays readable");
    assert.deepEqual(line?.queue, { redisUrl: "rediss://fleet:[redacted]@redis.example:6380" });
    assert.equal(line?.detail, "provider said: invalid key [redacted]");
    assert.deepEqual(line?.tokens, { input: 12, output: 3 }, "token counts are not secrets");
    for (const secret of [
      apiToken,
      "hunter2",
      "plain-looking-value",
      "s3cretPass",
      "An0therPass",
      openaiKey,
    ]) {
      assert.equal(raw.out.includes(secret), false, `${secret} leaked`);
    }
  });

  it("masks secrets in messages and in errors", async () => {
    const { log, out, err, raw } = memoryLogger();
    log.warn(`calling with Authorization: Bearer ${apiToken} and key ${openaiKey}`);
    log.warn("connecting to redis://admin:Pa55word9@cache:6379 with password=Sup3rSecret99");
    log.error(new Error(`provider answered 401 for ${openaiKey}`), "attempt failed");
    const [bearer, redis] = await out();
    assert.equal(bearer?.msg, "calling with Authorization: Bearer [redacted] and key [redacted]");
    assert.equal(redis?.msg, "connecting to redis://admin:[redacted]@cache:6379 with password=[redacted]");
    const [failed] = await err();
    assert.equal(failed?.msg, "attempt failed");
    const error = failed?.err as { type: string; message: string; stack: string };
    assert.equal(error.type, "Error");
    assert.equal(error.message, "provider answered 401 for [redacted]");
    assert.match(error.stack, /provider answered 401 for \[redacted\]/);
    assert.equal(`${raw.out}${raw.err}`.includes(openaiKey), false);
    assert.equal(raw.out.includes(apiToken), false);
  });

  it("sends error and fatal lines to the error stream only, the rest to the output", async () => {
    const { log, out, err } = memoryLogger("trace");
    log.trace("t");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
    assert.deepEqual(
      (await out()).map((line) => line.level),
      ["trace", "info", "warn"],
    );
    assert.deepEqual(
      (await err()).map((line) => line.level),
      ["error", "fatal"],
    );
  });

  it("logs events at their level with their fields, masking what an event message carries", async () => {
    const { log, out, err } = memoryLogger("info");
    const logEvent = eventLogger(log);
    logEvent(event({ type: "warning", code: "provider", message: `rejected key ${openaiKey}` }));
    logEvent(
      event({
        type: "engine.server",
        server: "opencode-1",
        state: "ready",
        pid: 4242,
        url: "http://127.0.0.1:4096",
      }),
    );
    logEvent(event({ type: "batch.created", batchId: "bat_1", taskIds: ["a", "b", "c"] }));
    logEvent(
      event({
        type: "attempt.progress",
        batchId: "bat_1",
        taskId: "a",
        attemptId: "att_1",
        liveness: "thinking",
        tokens: zeroTokens(),
      }),
    );
    logEvent(event({ type: "task.state", batchId: "bat_1", taskId: "a", from: "queued", to: "ready" }));
    logEvent(
      event({
        type: "task.state",
        batchId: "bat_1",
        taskId: "a",
        from: "running",
        to: "failed",
        reason: `bad token Bearer ${apiToken}`,
      }),
    );
    logEvent(event({ type: "storage.failed", message: "disk full" }));
    const lines = await out();
    assert.deepEqual(
      lines.map((line) => [line.level, line.event]),
      [
        ["warn", "warning"],
        ["info", "engine.server"],
        ["info", "batch.created"],
        ["warn", "task.state"],
      ],
      "progress (trace) and a non-final task state (debug) stay out at info",
    );
    const [warning, server, batch, failed] = lines;
    assert.equal(warning?.msg, "provider: rejected key [redacted]");
    assert.equal(warning?.message, "rejected key [redacted]");
    assert.equal(server?.pid, process.pid, "the line's pid is the logging process's");
    assert.equal(server?.eventPid, 4242, "the server's pid is kept apart");
    assert.equal(server?.seq, 7);
    assert.equal(batch?.tasks, 3);
    assert.equal(batch?.taskIds, undefined, "a batch's task list is not copied into the log");
    assert.equal(failed?.msg, "task a failed: bad token Bearer [redacted]");
    assert.deepEqual(
      (await err()).map((line) => [line.level, line.msg]),
      [["error", "disk full"]],
    );
  });
});
