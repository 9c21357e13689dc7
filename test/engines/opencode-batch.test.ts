import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";
import { closedPort } from "../helpers/free-port.ts";
import {
  isAlive,
  membersOfGroups,
  processesOwnedBy,
  processesRunning,
  uniqueSleepSeconds,
} from "../helpers/processes.ts";
import { waitFor, waitForEvent } from "../helpers/wait-for.ts";

describe("drover run on real opencode serve with the scripted model", () => {
  let h: EngineHarness;
  let deadPort = 0;
  before(async () => {
    deadPort = await closedPort();
    h = await startHarness({
      "opencode.servers": 2,
      "capacity.maxWorkers": 6,
      outcome: "text",
      "opencode.provider": {
        dead: {
          npm: "@ai-sdk/openai-compatible",
          options: { baseURL: `http://127.0.0.1:${deadPort}/v1` },
          models: { m: {} },
        },
      },
    });
  });
  afterEach(async () => {
    // No tool process (bash, …) outlives its attempt: of what the servers started (in their groups,
    // or in a tool's own group, found by the markers tools inherit), only the servers remain.
    const strays = () => {
      const owner = path.join(h.root, "state", "engines", "opencode");
      const started = new Set([...membersOfGroups(h.serverGroups), ...processesOwnedBy(owner)]);
      return [...started].filter((pid) => !h.serverGroups.includes(pid));
    };
    await waitFor(() => strays().length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(strays(), [], "processes left behind by the last test");
  });
  after(async () => {
    const left = await h.close();
    assert.deepEqual(left, [], `processes left behind: ${left.join(", ")}`);
  });

  it("runs a batch of 12 tool-using tasks in parallel and every file exists", async () => {
    const specs = Array.from({ length: 12 }, (_, i) =>
      h.task(
        `w${i}`,
        `Write file ${i}. [[write out/file-${i}.txt content of ${i}]] [[bash cat out/file-${i}.txt]] [[reply wrote ${i}]]`,
      ),
    );
    const results = await h.run(specs);
    assert.equal(
      results.batch.ok,
      true,
      JSON.stringify(results.tasks.filter((t) => t.status !== "succeeded")),
    );
    for (let i = 0; i < 12; i++) {
      const file = path.join(h.workDir, "out", `file-${i}.txt`);
      assert.ok(existsSync(file), `${file} missing`);
      assert.equal(readFileSync(file, "utf8"), `content of ${i}\n`);
      const task = results.tasks.find((t) => t.id === `w${i}`);
      assert.equal(task?.outcome?.summary, `wrote ${i}`);
      assert.deepEqual(task?.filesChanged, [`out/file-${i}.txt`]);
      assert.ok((task?.tokens.input ?? 0) > 0 && (task?.tokens.output ?? 0) > 0, "tokens counted");
      assert.match(task?.sessionId ?? "", /^ses_/);
    }
    // Parallel: at some moment more than one task was running, and never more than the limit.
    let running = 0;
    let peak = 0;
    for (const event of h.events) {
      if (event.type !== "task.state" || event.batchId !== results.batch.id) continue;
      if (event.to === "running") running++;
      if (event.from === "running") running--;
      peak = Math.max(peak, running);
    }
    assert.ok(peak > 1, `peak concurrency ${peak}`);
    assert.ok(peak <= 6, `peak concurrency ${peak} exceeds the limit`);
    // Both servers of the pool took sessions.
    const servers = new Set(
      h.events
        .filter((e) => e.type === "attempt.session" && e.batchId === results.batch.id)
        .map((e) => (e.type === "attempt.session" ? e.server : "")),
    );
    assert.equal(servers.size, 2);
  });

  it("rides out a 429 with Retry-After and then succeeds", async () => {
    const results = await h.run([
      h.task("limited", "[[error 429 times=1 retry-after=1]] [[reply recovered]]"),
    ]);
    const task = results.tasks[0];
    assert.equal(task?.status, "succeeded");
    assert.equal(task?.outcome?.summary, "recovered");
    const limited = h.events.find(
      (e) => e.type === "attempt.progress" && e.batchId === results.batch.id && e.liveness === "rate_limited",
    );
    assert.ok(limited, "a rate_limited progress event was reported");
    assert.ok(limited.type === "attempt.progress" && (limited.until ?? 0) > 0, "with the retry time");
  });

  it("fails a task whose session errors (401) without retrying it", async () => {
    const results = await h.run([h.task("denied", "[[error 401]] hello")]);
    const task = results.tasks[0];
    assert.equal(task?.status, "failed");
    assert.equal(task?.outcome?.outcome, "failed");
    assert.equal(task?.outcome?.reason, "auth_error");
    assert.equal(task?.attempts, 1);
  });

  it("times out a task whose model hangs, and aborts its session", async () => {
    const results = await h.run([h.task("hung", "[[hang]] never answers", { timeoutMs: 2000 })]);
    const task = results.tasks[0];
    assert.equal(task?.status, "timed_out");
    assert.match(task?.reason ?? "", /time limit/);
    const sessionId = task?.sessionId as string;
    const server = h.app.engine as unknown as {
      pool: { servers: { client: { session: { status(): Promise<{ data?: Record<string, unknown> }> } } }[] };
    };
    for (const s of server.pool.servers) {
      const status = await s.client.session.status();
      assert.equal(status.data?.[sessionId], undefined, "the session is no longer busy");
    }
  });

  it("times out a task stuck in a long tool, and the tool process is gone", async () => {
    const sleep = ["sleep", uniqueSleepSeconds(120)];
    let toolPid: number | undefined;
    const inTool = waitForEvent(
      h.app.bus,
      (e) => e.type === "attempt.progress" && e.taskId === "sleepy" && e.liveness === "in_tool",
    ).then(async () => {
      // The tool is running: its process exists before the time limit strikes.
      await waitFor(() => processesRunning(sleep).length === 1, 10_000);
      toolPid = processesRunning(sleep)[0];
    });
    void inTool.catch(() => undefined); // awaited below; handled now so a failure is reported there
    const results = await h.run([h.task("sleepy", `[[bash ${sleep.join(" ")}]]`, { timeoutMs: 2500 })]);
    await inTool;
    assert.equal(results.tasks[0]?.status, "timed_out");
    const progress = h.events.find(
      (e) => e.type === "attempt.progress" && e.batchId === results.batch.id && e.liveness === "in_tool",
    );
    assert.ok(
      progress && progress.type === "attempt.progress" && progress.tool === "bash",
      "progress showed the bash tool",
    );
    assert.ok(toolPid, "the sleep ran as a tool process");
    await waitFor(() => !isAlive(toolPid as number), 10_000);
  });

  it("cancels running and queued tasks when the batch is aborted", async () => {
    const controller = new AbortController();
    const specs = [
      h.task("slow", "[[slow 400]] [[reply one two three four five six seven eight nine ten eleven twelve]]"),
      h.task("queued", "[[reply never starts]]", { dependsOn: ["slow"] }),
    ];
    const running = waitForEvent(
      h.app.bus,
      (e) => e.type === "attempt.progress" && e.taskId === "slow" && e.liveness === "thinking",
    );
    const done = h.run(specs, { signal: controller.signal });
    await running;
    controller.abort();
    const results = await done;
    assert.deepEqual(
      results.tasks.map((t) => [t.id, t.status]),
      [
        ["slow", "cancelled"],
        ["queued", "cancelled"],
      ],
    );
  });

  it("blocks the dependents of a failed task and runs the rest", async () => {
    const results = await h.run([
      h.task("root", "[[error 401]] fails"),
      h.task("child", "[[reply child]]", { dependsOn: ["root"] }),
      h.task("grandchild", "[[reply grandchild]]", { dependsOn: ["child"] }),
      h.task("independent", "[[reply independent]]"),
    ]);
    const status = Object.fromEntries(results.tasks.map((t) => [t.id, t.status]));
    assert.deepEqual(status, {
      root: "failed",
      child: "blocked",
      grandchild: "blocked",
      independent: "succeeded",
    });
    assert.match(results.tasks.find((t) => t.id === "child")?.reason ?? "", /dependency root failed/);
  });

  it("attaches files to the prompt", async () => {
    // The file's own text carries the directive, so the reply proves the model saw its content.
    const file = path.join(h.workDir, "brief.md");
    writeFileSync(file, "The brief. [[reply the brief was read]]\n");
    const results = await h.run([h.task("with-file", "Follow the attached brief.", { files: [file] })]);
    assert.equal(results.tasks[0]?.status, "succeeded");
    assert.equal(results.tasks[0]?.outcome?.summary, "the brief was read");
  });

  it("rejects unknown models and unreachable providers before running anything", async () => {
    const issues = await h.app.engine.checkModels([
      { model: "drover/nope", source: "tasks.yaml", path: "tasks[0].model" },
      { model: "nobody/model", source: "tasks.yaml", path: "tasks[1].model" },
      { model: "dead/m", source: "tasks.yaml", path: "tasks[2].model" },
    ]);
    assert.equal(issues.length, 3);
    assert.match(issues[0]?.message ?? "", /unknown model "drover\/nope"/);
    assert.equal(issues[0]?.path, "tasks[0].model");
    assert.match(issues[1]?.message ?? "", /unknown provider "nobody"/);
    assert.match(
      issues[2]?.message ?? "",
      new RegExp(`provider "dead" is unreachable at http://127.0.0.1:${deadPort}/v1: ECONNREFUSED`),
    );
  });
});
