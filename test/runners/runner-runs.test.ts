import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAgentFile, renderAgentFile } from "../../src/runners/agent-file.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

const report = (value: Record<string, unknown>) => `[[structured ${JSON.stringify(value)}]]`;

describe("runners (real OpenCode + scripted model)", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("lifecycle: create, run, --continue resumes the same session, status, destroy", async () => {
    const runners = h.app.runners;
    const created = runners.create({
      name: "reviewer",
      description: "Reviews code",
      dir: h.workDir,
      instructions: "# Reviewer\nBe strict.",
    });
    assert.equal(created.instructions, "# Reviewer\nBe strict.");
    const agentFile = path.join(h.workDir, ".opencode", "agents", "reviewer.md");
    assert.ok(existsSync(agentFile), "agent definition written for plain `opencode run --agent reviewer`");
    assert.match(
      readFileSync(agentFile, "utf8"),
      /description: Reviews code[\s\S]*---\n\n# Reviewer\nBe strict\./,
    );

    const first = await runners.run(
      "reviewer",
      `Review it. ${report({ outcome: "complete", summary: "first review" })}`,
    );
    assert.equal(first.status, "succeeded");
    assert.equal(first.outcome?.summary, "first review");
    const afterFirst = runners.get("reviewer");
    assert.equal(afterFirst.lastSessionId, first.sessionId, "the session id is saved");
    assert.equal(afterFirst.runCount, 1);

    const second = await runners.run(
      "reviewer",
      `And now the tests. ${report({ outcome: "complete", summary: "second review" })}`,
      { continue: true },
    );
    assert.equal(second.status, "succeeded");
    assert.equal(second.sessionId, first.sessionId, "--continue resumed the same OpenCode session");
    const fresh = await runners.run("reviewer", "[[reply new session]]");
    assert.notEqual(fresh.sessionId, first.sessionId, "without --continue a new session starts");
    assert.equal(runners.get("reviewer").runCount, 3);
    assert.deepEqual(
      runners.runs("reviewer").map((run) => run.continued),
      [false, true, false],
    );

    runners.destroy("reviewer");
    assert.throws(() => runners.get("reviewer"), /no runner "reviewer"/);
  });

  it("serializes two runs of one runner: a second one is refused, or waits with --wait", async () => {
    const runners = h.app.runners;
    runners.create({ name: "solo", dir: h.workDir });
    const slow = "[[slow 150]] [[reply one two three four five six seven eight]]";
    const first = runners.run("solo", slow);
    await new Promise<void>((resolve) => {
      const off = h.app.bus.subscribe((e) => {
        if (e.type === "attempt.session" && e.taskId === "solo") {
          off();
          resolve();
        }
      });
    });
    await assert.rejects(
      runners.run("solo", "[[reply second]]"),
      /runner "solo" is busy with run run_.*use --wait/,
    );
    const second = runners.run("solo", "[[reply queued]]", { wait: true });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, "succeeded");
    assert.equal(b.status, "succeeded");
    assert.ok((a.run.finishedAt ?? 0) <= b.run.startedAt, "the second run started after the first finished");
  });

  it("stop aborts the live session; the runner is free again", async () => {
    const runners = h.app.runners;
    runners.create({ name: "stoppable", dir: h.workDir });
    const running = runners.run("stoppable", "[[slow 300]] [[reply a b c d e f g h i j k l m n o p]]");
    await new Promise<void>((resolve) => {
      const off = h.app.bus.subscribe((e) => {
        if (e.type === "attempt.progress" && e.taskId === "stoppable" && e.liveness === "thinking") {
          off();
          resolve();
        }
      });
    });
    assert.equal(runners.stop("stoppable"), true);
    const result = await running;
    assert.equal(result.status, "cancelled");
    assert.equal(runners.get("stoppable").activeRun, undefined);
    assert.equal(runners.stop("stoppable"), false, "nothing left to stop");
    assert.equal((await runners.run("stoppable", "[[reply again]]")).status, "succeeded");
  });

  it("delivers unread mail with its payload into the next run, once, only when the run succeeds", async () => {
    const { runners, mailbox } = h.app;
    runners.create({ name: "inbox", dir: h.workDir });
    mailbox.send({
      to: "inbox",
      from: "coordinator",
      externalSender: true,
      type: "task_dispatch",
      payload: "Please review PR #77",
      priority: "high",
    });
    const failed = await runners.run("inbox", "[[error 401]] go");
    assert.equal(failed.status, "failed");
    assert.equal(
      mailbox.check({ to: "inbox", unreadOnly: true }).length,
      1,
      "a failed run does not consume the mail",
    );
    const ok = await runners.run("inbox", "[[reply done]]");
    assert.equal(ok.status, "succeeded");
    assert.equal(ok.mailDelivered, 1);
    const attempts = h.app.store.listAttempts(ok.run.batchId as string);
    assert.ok(attempts.length >= 1);
    assert.equal(mailbox.check({ to: "inbox", unreadOnly: true }).length, 0);
    const again = await runners.run("inbox", "[[reply nothing new]]");
    assert.equal(again.mailDelivered, 0, "delivered exactly once");
  });

  it("gives a run the memories relevant to its prompt and stores the learnings of its outcome", async () => {
    const { runners, memory } = h.app;
    runners.create({ name: "learner", dir: h.workDir });
    memory.store({
      namespace: "learner",
      content: "The payments service needs the PAYMENTS_ENV variable set to sandbox",
    });
    memory.store({ namespace: "learner", content: "Frontend builds use pnpm" });
    const result = await runners.run(
      "learner",
      `Fix the payments service tests. ${report({ outcome: "complete", summary: "fixed", learnings: ["Payments tests need a running redis"] })}`,
    );
    assert.equal(result.status, "succeeded");
    assert.equal(result.memoriesUsed, 1, "only the relevant memory was recalled");
    assert.equal(result.learningsStored, 1);
    assert.deepEqual(
      memory.recall({ namespace: "learner", query: "payments redis" }).map((m) => m.content)[0],
      "Payments tests need a running redis",
    );
  });

  it("validates names, and imports existing OpenCode agents as runners", async () => {
    const { runners } = h.app;
    assert.throws(() => runners.create({ name: "9lives" }), /runner name "9lives"/);
    assert.throws(() => runners.create({ name: "has space" }), /runner name/);
    const text = renderAgentFile({
      name: "sec",
      description: "Security reviewer",
      model: "drover/scripted",
      instructions: "Find vulnerabilities.",
      settings: { temperature: 0.1, tools: { write: false } },
    });
    assert.deepEqual(parseAgentFile("sec", text), {
      name: "sec",
      description: "Security reviewer",
      model: "drover/scripted",
      instructions: "Find vulnerabilities.",
      settings: { temperature: 0.1, tools: { write: false }, mode: "all" },
    });
    writeFileSync(path.join(h.workDir, ".opencode", "agents", "sec.md"), text);
    const imported = runners.importAgents(h.workDir);
    assert.deepEqual(
      imported.imported.map((r) => r.name),
      ["sec"],
    );
    assert.equal(runners.get("sec").instructions, "Find vulnerabilities.");
  });
});
