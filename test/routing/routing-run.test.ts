import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// Routing tiers through `drover run` with the real OpenCode: the scripted model's two ids are the
// tier's two candidates, and `[[error@scripted …]]` fails only the first.

interface Explained {
  tier: string | null;
  state: string;
  attempts: { engine: string; model: string; candidate?: number; reason: string; after?: string }[];
}

describe("routing tiers with fallbacks (drover run, real OpenCode)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  before(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        routing: { tiers: { standard: ["drover/scripted", "drover/scripted-large"] } },
        retry: { providerRequests: 1 },
      }),
    );
  });
  after(() => {
    assert.deepEqual(processesOwnedBy(path.join(stateDir, "engines", "opencode")), []);
    temp.cleanup();
  });
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };

  it("falls back to the tier's next candidate on a 500 and on a 429, and explains each choice", async () => {
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "tasks:",
        '  - { id: outage, tier: standard, prompt: "[[error@scripted 500]] [[reply ok]]" }',
        '  - { id: limited, tier: standard, prompt: "[[error@scripted 429]] [[reply ok]]" }',
      ].join("\n"),
    );
    const run = await drover("run", "tasks.yaml", "--json");
    assert.equal(run.code, 0, run.err);
    const results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
      batch: { id: string };
      tasks: { id: string; status: string; attempts: number }[];
    };
    for (const [id, failure] of [
      ["outage", "model_error"],
      ["limited", "rate_limited"],
    ] as const) {
      assert.deepEqual(
        results.tasks.find((task) => task.id === id),
        { ...results.tasks.find((task) => task.id === id), status: "succeeded", attempts: 2 },
      );
      const explained = JSON.parse(
        (await drover("route", "explain", `${results.batch.id}/${id}`, "--json")).out,
      ) as Explained;
      assert.equal(explained.tier, "standard");
      assert.deepEqual(
        explained.attempts.map((attempt) => [attempt.engine, attempt.model, attempt.candidate]),
        [
          ["opencode", "drover/scripted", 1],
          ["opencode", "drover/scripted-large", 2],
        ],
      );
      assert.match(
        explained.attempts[1]?.after ?? "",
        new RegExp(`${failure} on drover/scripted: falling back`),
      );
    }
    const events = run.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; taskId?: string });
    assert.equal(
      events.filter((event) => event.type === "route.chosen").length,
      4,
      "each choice is an event",
    );
  });

  it("refuses a task naming a tier that is not configured, naming the field (exit 2)", async () => {
    writeFileSync(path.join(temp.dir, "bad.yaml"), 'tasks:\n  - { id: a, tier: premium, prompt: "hi" }\n');
    const run = await drover("run", "bad.yaml", "--json");
    assert.equal(run.code, 2);
    assert.match(run.err, /tasks\[0\]\.tier.*unknown tier "premium" \(routing\.tiers has: standard\)/);
  });
});
