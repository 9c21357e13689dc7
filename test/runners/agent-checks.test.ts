import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DroverError } from "../../src/core/errors.ts";
import { checkTaskModels } from "../../src/supervisor/dispatch-batch.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

/** A project directory with its own OpenCode agents in `.opencode/agents/`. */
function projectWithAgents(root: string, name: string, agents: Record<string, string>): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, ".opencode", "agents"), { recursive: true });
  for (const [agent, text] of Object.entries(agents))
    writeFileSync(path.join(dir, ".opencode", "agents", `${agent}.md`), text);
  return dir;
}

describe("agents are checked before anything runs (real OpenCode)", () => {
  let h: EngineHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });

  it("an unknown agent is bad input naming the agent, the task's field and the agents that exist there", async () => {
    const project = projectWithAgents(h.root, "with-agents", {
      reviewer: "---\ndescription: Reviews code\n---\nBe strict.\n",
    });
    const specs = [
      h.task("fine", "[[reply ok]]", { dir: project, agent: "reviewer" }),
      h.task("typo", "[[reply ok]]", { dir: project, agent: "reviewr" }),
      h.task("elsewhere", "[[reply ok]]", { dir: h.workDir, agent: "reviewer" }),
    ];
    const error = await checkTaskModels(h.app.engine, specs, "tasks.yaml").then(
      () => assert.fail("unknown agents were accepted"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof DroverError);
    assert.equal(error.code, "bad_input");
    assert.deepEqual(
      error.issues.map((issue) => [issue.source, issue.path]),
      [
        ["tasks.yaml", "tasks[1].agent"],
        ["tasks.yaml", "tasks[2].agent"],
      ],
      "the agent defined in the task's own directory is accepted; the others are named",
    );
    assert.match(error.issues[0]?.message ?? "", /unknown agent "reviewr" in .*with-agents/);
    assert.match(error.issues[0]?.message ?? "", /agents there: build, .*plan, reviewer/);
    assert.match(error.issues[1]?.message ?? "", /unknown agent "reviewer" in .*work \(agents there: build/);
    assert.doesNotMatch(
      error.issues[0]?.message ?? "",
      /compaction|summary|title/,
      "hidden agents not shown",
    );
  });

  it("nothing is submitted when an agent is unknown", async () => {
    const before = h.app.store.listBatches().length;
    await assert.rejects(
      h.run([h.task("ghost-agent", "[[reply never]]", { agent: "no-such-agent" })]),
      /unknown agent "no-such-agent"/,
    );
    assert.equal(h.app.store.listBatches().length, before);
  });

  it("the agent file drover writes for a runner (with its marker line) is an agent OpenCode knows", async () => {
    const dir = path.join(h.root, "runner-project");
    mkdirSync(dir);
    h.app.runners.create({ name: "marked", description: "Marked runner", dir, instructions: "Be marked." });
    assert.deepEqual(
      await h.app.engine.checkAgents([{ agent: "marked", dir, source: "test", path: "agent" }]),
      [],
    );
  });
});
