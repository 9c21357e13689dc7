import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

const report = (value: Record<string, unknown>, model?: string) =>
  `[[structured${model ? `@${model}` : ""} ${JSON.stringify(value)}]]`;

describe("structured outcomes, the BLOCKED protocol and retries (real OpenCode)", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness({
      modelTiers: [["drover/scripted"], ["drover/scripted-large"]],
      parkRateLimitAfter: "1s",
      rateLimitCooldown: "500ms",
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  const attemptsOf = (batchId: string, taskId: string) => h.app.store.listAttempts(batchId, taskId);

  it("complete: the agent's report is the outcome", async () => {
    const results = await h.run([
      h.task(
        "done",
        `Write it. [[write out/done.txt ok]] ${report({ outcome: "complete", summary: "wrote done.txt", evidence: "out/done.txt" })}`,
      ),
    ]);
    const task = results.tasks[0];
    assert.equal(task?.status, "succeeded");
    assert.deepEqual(task?.outcome, {
      outcome: "complete",
      summary: "wrote done.txt",
      evidence: "out/done.txt",
    });
    assert.deepEqual(task?.filesChanged, ["out/done.txt"]);
  });

  it("handoff: done, with only asynchronous follow-up left", async () => {
    const results = await h.run([
      h.task("pr", report({ outcome: "handoff", summary: "PR opened, CI pending" })),
    ]);
    assert.equal(results.tasks[0]?.status, "succeeded");
    assert.equal(results.tasks[0]?.outcome?.outcome, "handoff");
  });

  it("blocked: the task is blocked with the reason and not retried; its dependents are blocked too", async () => {
    const results = await h.run([
      h.task(
        "creds",
        report({
          outcome: "blocked",
          summary: "cannot deploy",
          reason: "no deploy key",
          blocker: "credentials",
        }),
      ),
      h.task("after-creds", "[[reply never]]", { dependsOn: ["creds"] }),
    ]);
    const [blocked, dependent] = results.tasks;
    assert.equal(blocked?.status, "blocked");
    assert.equal(blocked?.reason, "no deploy key");
    assert.equal(blocked?.attempts, 1);
    assert.equal(dependent?.status, "blocked");
    assert.match(dependent?.reason ?? "", /dependency creds blocked/);
  });

  it("blocked on missing context gets one recovery attempt in the same session", async () => {
    const results = await h.run([
      h.task(
        "vague",
        report({
          outcome: "blocked",
          summary: "which endpoint?",
          reason: "3 auth endpoints exist",
          blocker: "missing_context",
        }),
      ),
    ]);
    assert.equal(results.tasks[0]?.status, "succeeded", results.tasks[0]?.reason);
    const attempts = attemptsOf(results.batch.id, "vague");
    assert.deepEqual(
      attempts.map((a) => a.kind),
      ["fresh", "recovery"],
    );
    assert.equal(attempts[0]?.sessionId, attempts[1]?.sessionId, "same session");
  });

  it("blocked on a capability limit escalates to the next model tier", async () => {
    const limited = {
      outcome: "blocked",
      summary: "too hard for me",
      reason: "needs a stronger model",
      blocker: "capability_limit",
    };
    const results = await h.run([
      h.task(
        "hard",
        `${report(limited, "scripted")} ${report({ outcome: "complete", summary: "solved by the large model" }, "scripted-large")}`,
      ),
    ]);
    const task = results.tasks[0];
    assert.equal(task?.status, "succeeded", task?.reason);
    assert.equal(task?.outcome?.summary, "solved by the large model");
    const started = h.events.filter((e) => e.type === "attempt.started" && e.batchId === results.batch.id);
    assert.deepEqual(
      started.map((e) => (e.type === "attempt.started" ? [e.kind, e.model] : [])),
      [
        ["fresh", "drover/scripted"],
        ["escalation", "drover/scripted-large"],
      ],
    );
  });

  it("an agent that goes idle without a report is continued in its session", async () => {
    const results = await h.run([h.task("quiet", "[[no-report]] [[reply I did it but forgot to report]]")]);
    assert.equal(results.tasks[0]?.status, "succeeded", results.tasks[0]?.reason);
    const attempts = attemptsOf(results.batch.id, "quiet");
    assert.deepEqual(
      attempts.map((a) => a.kind),
      ["fresh", "continue"],
    );
    assert.equal(attempts[0]?.failure?.type, "no_output");
    assert.equal(attempts[1]?.sessionId, attempts[0]?.sessionId);
  });

  it("a rate limit parks the task until the reset, lowers the provider's limit, and it resumes by itself", async () => {
    const results = await h.run([h.task("limited", "[[error 429 times=1 retry-after=2]] work")]);
    assert.equal(results.tasks[0]?.status, "succeeded", results.tasks[0]?.reason);
    const states = h.events
      .filter((e) => e.type === "task.state" && e.batchId === results.batch.id)
      .map((e) => (e.type === "task.state" ? e.to : ""));
    assert.deepEqual(states, ["queued", "ready", "running", "parked", "ready", "running", "succeeded"]);
    const limit = h.events.find((e) => e.type === "supervisor.limit" && e.limit !== null);
    assert.ok(limit && limit.type === "supervisor.limit" && limit.key === "drover" && limit.limit === 1);
    const attempts = attemptsOf(results.batch.id, "limited");
    assert.deepEqual(
      attempts.map((a) => [a.kind, a.failure?.type ?? null]),
      [
        ["fresh", "rate_limited"],
        ["continue", null],
      ],
    );
  });

  it("renders the lineage block into a dotted task's prompt, and the report instructions", async () => {
    const results = await h.run([
      h.task("crm", "[[reply parent]]", { title: "Build a CRM" }),
      h.task("crm.1", "[[reply contacts]]", { title: "Contact management" }),
      h.task("crm.2", "[[reply deals]]", { title: "Deal pipeline" }),
    ]);
    assert.ok(results.batch.ok);
    const prompt = attemptsOf(results.batch.id, "crm.2")[0]?.prompt ?? "";
    assert.match(
      prompt,
      /TASK LINEAGE:\n0\. \[parent\] Build a CRM \(crm\)\n1\. Contact management \(crm\.1\)\n2\. Deal pipeline \(crm\.2\) <-- THIS TASK/,
    );
    assert.match(prompt, /When you stop, report your outcome/);
    assert.doesNotMatch(attemptsOf(results.batch.id, "crm")[0]?.prompt ?? "", /TASK LINEAGE/);
  });
});
