import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { commandOf, cwdOf, processesMentioning, processGroupOf } from "./conformance/engine-processes.ts";

// The conformance suite's interruptions, on every engine with its real binary: the engine's process
// killed from outside in the middle of an attempt (kill -9 of its process group: a crash) is retried
// and the retry finishes; a cancel (Ctrl-C of `drover run`) stops a running attempt and leaves no
// process behind.

const engines = ["opencode", "opencode-cli", "claude", "codex"] as const;

interface Outcome {
  temp: ReturnType<typeof makeTempDir>;
  code: number | null;
  results: Map<string, { status: string; attempts: number }>;
  killed: number[];
  leftover: number[];
}

/** The engine processes of the `crash` task: its CLI (by its working directory), or the OpenCode server. */
function enginePidsOf(stateDir: string, crashDir: string, engine: string): number[] {
  const mine = processesMentioning(`=${stateDir}`);
  if (engine === "opencode") return mine.filter((pid) => commandOf(pid).includes(" serve"));
  return mine.filter((pid) => cwdOf(pid) === crashDir);
}

async function interrupt(engine: (typeof engines)[number]): Promise<Outcome> {
  const temp = makeTempDir();
  const stateDir = path.join(temp.dir, "state");
  writeFileSync(
    path.join(temp.dir, "drover.json"),
    JSON.stringify({
      capacity: { ramReserveMb: 0 },
      stagger: { gapMs: 0 },
      retry: { maxAttempts: 3 },
      // A loaded 2-core machine can take long to start a server; this test is about what comes after.
      opencode: { startTimeout: "90s" },
    }),
  );
  writeFileSync(
    path.join(temp.dir, "tasks.json"),
    JSON.stringify({
      defaults: { engine },
      tasks: [
        { id: "crash", dir: "crash", prompt: "[[slow 200]] [[words 25]]" },
        { id: "long", dir: "long", prompt: "[[slow 500]] [[words 600]]", dependsOn: ["crash"] },
      ],
    }),
  );
  for (const dir of ["crash", "long"]) mkdirSync(path.join(temp.dir, dir));
  const run = runDrover(["run", "tasks.json", "--json", "--state-dir", stateDir], { cwd: temp.dir });
  // Crash: once the attempt has its session, kill -9 the engine's process group from outside.
  await run.waitForOutput(/"type":"attempt.session","batchId":"[^"]+","taskId":"crash"/);
  const killed = enginePidsOf(stateDir, path.join(temp.dir, "crash"), engine);
  for (const group of new Set(killed.map(processGroupOf))) if (group) process.kill(-group, "SIGKILL");
  // Cancel: once the dependent task has its session, Ctrl-C the run.
  await run.waitForOutput(/"type":"attempt.session","batchId":"[^"]+","taskId":"long"/);
  run.child.kill("SIGINT");
  const code = await run.exited;
  if (!existsSync(path.join(temp.dir, "results.json")))
    throw new Error(`drover run (${engine}) exited ${code} without results:\n${run.stderr().slice(-3000)}`);
  const file = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8")) as {
    tasks: { id: string; status: string; attempts: number }[];
  };
  return {
    temp,
    code,
    results: new Map(file.tasks.map((task) => [task.id, task])),
    killed,
    leftover: processesMentioning(`=${stateDir}`),
  };
}

const outcomes = new Map<string, Outcome | Error>();
before(async () => {
  const done = await Promise.allSettled(engines.map((engine) => interrupt(engine)));
  engines.forEach((engine, index) => {
    const outcome = done[index];
    outcomes.set(
      engine,
      outcome?.status === "fulfilled" ? outcome.value : new Error(String(outcome?.reason)),
    );
  });
});
after(() => {
  for (const outcome of outcomes.values()) if (!(outcome instanceof Error)) outcome.temp.cleanup();
});

for (const engine of engines) {
  describe(`engine conformance, interruptions: ${engine} (real binary, scripted model)`, () => {
    let outcome: Outcome;
    before(() => {
      const found = outcomes.get(engine);
      assert.ok(found, `the ${engine} run happened`);
      if (found instanceof Error) throw found;
      outcome = found;
    });

    it("retries an attempt whose engine process was killed mid-run, and the retry finishes", () => {
      assert.ok(outcome.killed.length > 0, "the engine's process was found and killed");
      const crash = outcome.results.get("crash");
      assert.equal(crash?.status, "succeeded", JSON.stringify(crash));
      assert.equal(crash?.attempts, 2, "one attempt crashed, the next finished");
    });

    it("cancels a running attempt on Ctrl-C and leaves no engine process behind", () => {
      assert.equal(outcome.results.get("long")?.status, "cancelled");
      assert.equal(outcome.code, 130);
      assert.deepEqual(outcome.leftover, [], "every engine process is gone");
    });
  });
}
