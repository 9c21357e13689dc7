import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runDrover } from "../../helpers/run-cli.ts";
import { makeTempDir } from "../../helpers/temp-dir.ts";
import { processesMentioning } from "./engine-processes.ts";

// One conformance suite for every agent engine, each with its real binary (OpenCode's warm pool,
// Claude Code, Codex) against drover's scripted model: the same batch, the same expectations.

interface TaskResult {
  id: string;
  status: string;
  outcome?: { outcome: string; summary: string; reason?: string };
  sessionId?: string;
  attempts: number;
  tokens: { input: number; output: number };
  filesChanged?: string[];
  failure?: { type: string; message: string };
}

interface DroverEvent {
  type: string;
  taskId?: string;
  liveness?: string;
  tool?: string;
  sessionId?: string;
  kind?: string;
  failure?: { type: string; message: string; retryable: boolean };
}

const tasks = [
  {
    id: "done",
    prompt: "[[write made.txt made by the agent]] [[bash cat made.txt]] [[reply wrote and read it]]",
  },
  {
    id: "blocked",
    prompt:
      '[[structured {"outcome":"blocked","summary":"no deploy key","reason":"needs a deploy key","blocker":"credentials"}]]',
  },
  { id: "refused", prompt: "[[error 401]]" },
  { id: "hangs", prompt: "[[hang]]", timeout: "4s" },
  {
    // The BLOCKED protocol's one recovery: continued in the same session, then complete.
    id: "resumed",
    prompt: '[[structured {"outcome":"blocked","summary":"which file?","blocker":"missing_context"}]]',
  },
];

const engines = ["opencode", "opencode-cli", "claude", "codex"] as const;

/** One engine's batch: the same tasks, its results and the events `drover run --json` printed. */
interface EngineBatch {
  temp: ReturnType<typeof makeTempDir>;
  results: Map<string, TaskResult>;
  events: DroverEvent[];
  code: number | null;
}

async function runBatch(engine: (typeof engines)[number]): Promise<EngineBatch> {
  const temp = makeTempDir();
  writeFileSync(
    path.join(temp.dir, "drover.json"),
    JSON.stringify({
      capacity: { ramReserveMb: 0 },
      stagger: { gapMs: 0 },
      retry: { providerRequests: 2 },
      // A loaded 2-core machine can take long to start a server; the cases are about what comes after.
      opencode: { startTimeout: "90s" },
    }),
  );
  writeFileSync(
    path.join(temp.dir, "tasks.json"),
    JSON.stringify({
      defaults: { engine },
      tasks: tasks.map((task) => ({ ...task, dir: task.id })),
    }),
  );
  for (const task of tasks) mkdirSync(path.join(temp.dir, task.id));
  const run = runDrover(["run", "tasks.json", "--json", "--state-dir", "state"], { cwd: temp.dir });
  const code = await run.exited;
  if (!existsSync(path.join(temp.dir, "results.json")))
    throw new Error(`drover run (${engine}) exited ${code} without results:\n${run.stderr().slice(-3000)}`);
  const events = run
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as DroverEvent);
  const file = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
    tasks: TaskResult[];
  };
  return { temp, results: new Map(file.tasks.map((task) => [task.id, task])), events, code };
}

const batches = new Map<string, EngineBatch | Error>();
before(async () => {
  // Two engines at a time: four drovers with their engines at once overload a 2-core machine
  // (seen: an OpenCode server slow to start, a CLI's error read as a crash).
  for (const pair of [engines.slice(0, 2), engines.slice(2)]) {
    const done = await Promise.allSettled(pair.map((engine) => runBatch(engine)));
    pair.forEach((engine, index) => {
      const outcome = done[index];
      batches.set(
        engine,
        outcome?.status === "fulfilled" ? outcome.value : new Error(String(outcome?.reason)),
      );
    });
  }
});
after(() => {
  for (const batch of batches.values()) if (!(batch instanceof Error)) batch.temp.cleanup();
});

for (const engine of engines) {
  describe(`engine conformance: ${engine} (real binary, scripted model)`, () => {
    let temp: EngineBatch["temp"];
    let results: EngineBatch["results"];
    let events: EngineBatch["events"];
    let code: EngineBatch["code"];
    before(() => {
      const batch = batches.get(engine);
      assert.ok(batch, `the ${engine} batch ran`);
      if (batch instanceof Error) throw batch;
      ({ temp, results, events, code } = batch);
    });

    it("completes a task with tools: the file is written, the outcome is the agent's, tokens counted", () => {
      const done = results.get("done");
      assert.equal(done?.status, "succeeded", JSON.stringify(done));
      assert.equal(done?.outcome?.outcome, "complete");
      assert.equal(done?.outcome?.summary, "wrote and read it");
      // Codex writes through its shell tool: only engines with file tools can name what they wrote.
      if (engine !== "codex")
        assert.deepEqual(
          done?.filesChanged?.map((file) => path.basename(file)),
          ["made.txt"],
          JSON.stringify(done),
        );
      assert.equal(readFileSync(path.join(temp.dir, "done", "made.txt"), "utf8"), "made by the agent\n");
      assert.ok((done?.tokens.input ?? 0) > 0 && (done?.tokens.output ?? 0) > 0);
      assert.ok(done?.sessionId, "a session id to resume by");
    });

    it("streams progress: the session, then a tool running, in drover's one event schema", () => {
      const mine = events.filter((event) => event.taskId === "done");
      assert.ok(mine.some((event) => event.type === "attempt.session" && event.sessionId));
      assert.ok(
        mine.some((event) => event.type === "attempt.progress" && event.liveness === "in_tool" && event.tool),
        "an in_tool progress report names the tool",
      );
    });

    it("reports a blocked outcome with the agent's reason", () => {
      const blocked = results.get("blocked");
      assert.equal(blocked?.status, "blocked");
      assert.equal(blocked?.outcome?.reason, "needs a deploy key");
    });

    it("fails a task whose model refuses the key, without retrying it", () => {
      const refused = results.get("refused");
      assert.equal(refused?.status, "failed");
      const failures = events
        .filter((event) => event.type === "attempt.finished" && event.taskId === "refused")
        .map((event) => event.failure);
      assert.equal(
        refused?.attempts,
        1,
        `an auth error is not retried; attempts: ${JSON.stringify(failures)}`,
      );
    });

    it("times out a task whose model never answers, and leaves no process behind", () => {
      assert.equal(results.get("hangs")?.status, "timed_out");
      assert.deepEqual(
        processesMentioning(`=${path.join(temp.dir, "state")}`),
        [],
        "every engine process is gone",
      );
    });

    it("resumes the same session when the BLOCKED protocol continues a task", () => {
      const resumed = results.get("resumed");
      assert.equal(resumed?.status, "succeeded", JSON.stringify(resumed));
      assert.equal(resumed?.attempts, 2);
      const sessions = new Set(
        events
          .filter((event) => event.taskId === "resumed" && event.type === "attempt.session")
          .map((event) => event.sessionId),
      );
      assert.equal(sessions.size, 1, `one session across both attempts: ${[...sessions].join(", ")}`);
      assert.equal(code, 1, "the batch has failures");
      assert.ok(!existsSync(path.join(temp.dir, "resumed", "made.txt")));
    });
  });
}

describe("an engine that is not installed", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("refuses the batch before anything runs (exit 2), naming the task, the engine and how to install it", async () => {
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      'tasks:\n  - id: review\n    engine: claude\n    prompt: "[[reply never]]"\n',
    );
    const run = runDrover(["run", "tasks.yaml", "--state-dir", "state"], {
      cwd: temp.dir,
      env: { DROVER_CLAUDE_BIN: "/nonexistent/claude" },
    });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /tasks\[0\]\.engine/);
    assert.match(
      run.stderr(),
      /review: engine "claude" is not installed: .*npm install -g @anthropic-ai\/claude-code/,
    );
    assert.equal(existsSync(path.join(temp.dir, "results.json")), false, "nothing ran");
  });
});
