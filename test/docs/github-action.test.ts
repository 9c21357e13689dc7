import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The composite GitHub Action at the repository's root: its "Run the tasks" step run as GitHub
// runs it (bash, GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), on a task
// file with the scripted model; and the example workflows using it.

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  if?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
}
const action = parseYaml(readFileSync(path.join(repo, "action.yml"), "utf8")) as {
  inputs: Record<string, { required?: boolean }>;
  runs: { using: string; steps: Step[] };
};

function runStep(step: Step, env: Record<string, string>): Promise<number | null> {
  const child = spawn("bash", ["-e", "-c", step.run ?? ""], {
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  return new Promise((resolve) => child.once("exit", resolve));
}

describe("the GitHub Action (action.yml)", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("is a composite action that runs a task file and keeps results.json whatever happened", () => {
    assert.equal(action.runs.using, "composite");
    assert.equal(action.inputs.tasks?.required, true);
    const upload = action.runs.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
    assert.equal(upload?.if, "always()");
  });

  for (const [name, code] of [
    ["succeeded", 0],
    ["failed", 1],
  ] as const) {
    it(`writes the job summary and results, and exits with drover's code (${name}: ${code})`, async () => {
      const dir = path.join(temp.dir, name);
      const runnerTemp = path.join(dir, "runner");
      mkdirSync(runnerTemp, { recursive: true });
      // A shell step (no model needed): `echo` succeeds, `exit 3` fails.
      const command = name === "succeeded" ? "echo all done" : "echo broken; exit 3";
      writeFileSync(
        path.join(dir, "tasks.yaml"),
        `tasks:\n  - { id: check, engine: shell, prompt: "${command}" }\n`,
      );
      const output = path.join(dir, "github-output");
      const summary = path.join(dir, "step-summary.md");
      writeFileSync(output, "");
      writeFileSync(summary, "");
      const step = action.runs.steps.find((s) => s.id === "run") as Step;
      const exit = await runStep(step, {
        GITHUB_ACTION_PATH: repo,
        RUNNER_TEMP: runnerTemp,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        DROVER_TASKS: path.join(dir, "tasks.yaml"),
        DROVER_ARGS: `--state-dir ${path.join(dir, "state")}`,
      });
      assert.equal(exit, code);
      assert.match(readFileSync(output, "utf8"), new RegExp(`exit-code=${code}`));
      const table = readFileSync(summary, "utf8");
      assert.match(table, /\| task \| status \| attempts \| cost \| outcome \|/);
      assert.match(table, new RegExp(`\\| check \\| \\S+ ${name} \\| 1 \\|`));
      if (name === "succeeded") assert.match(table, /all done/);
      const results = JSON.parse(readFileSync(path.join(runnerTemp, "drover-results.json"), "utf8")) as {
        tasks: { status: string }[];
      };
      assert.equal(results.tasks[0]?.status, name);
    });
  }

  it("has example workflows (a PR review, a nightly run) that use it", () => {
    const dir = path.join(repo, "examples", "github-actions");
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ["nightly.yml", "pr-review.yml"]);
    for (const file of files) {
      const workflow = parseYaml(readFileSync(path.join(dir, file), "utf8")) as {
        jobs: Record<string, { steps: Step[] }>;
      };
      const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
      assert.ok(
        steps.some((step) => step.uses?.includes("/drover@")),
        `${file} uses the action`,
      );
    }
  });
});
