import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEnv } from "./setup.ts";

const droverBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/drover.js");

/** The task's own first request is a bash tool call: the warm-up turn (a plain reply) is told apart by it. */
const prompt = "[[bash true]] [[reply started]]";

function runCli(args: string[], cwd: string): Promise<number | null> {
  const child = spawn(process.execPath, [droverBin, ...args], { cwd, stdio: ["ignore", "ignore", "ignore"] });
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** When (epoch ms) the scripted model of a state dir first saw a request of the task, after `since`. */
function firstTaskRequest(stateDir: string, since: number): number {
  const file = path.join(stateDir, "scripted-model.jsonl");
  if (!existsSync(file)) return Number.NaN;
  const records = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { ts: number; label?: string });
  return records.find((record) => record.ts >= since && record.label === "tool:bash")?.ts ?? Number.NaN;
}

/**
 * Command to the task's first model request: a cold `drover run` (fresh state dir, so OpenCode's
 * first boot included), and a `drover run` handed to a warm daemon of the same state dir.
 */
export async function measureStartTime(
  env: BenchEnv,
  samples: number,
): Promise<{ cold: number[]; handed: number[] }> {
  const config = path.join(env.root, "start.drover.json");
  writeFileSync(
    config,
    JSON.stringify({ capacity: { ramReserveMb: 0 }, stagger: { gapMs: 0 }, outcome: "text" }),
  );
  const cold: number[] = [];
  for (let i = 0; i < samples; i++) {
    const stateDir = path.join(env.root, `start-cold-${i}`);
    const at = Date.now();
    await runCli(
      [
        "run",
        "-p",
        prompt,
        "--json",
        "--config",
        config,
        "--state-dir",
        stateDir,
        "--out",
        `${stateDir}.json`,
      ],
      env.workDir,
    );
    cold.push(firstTaskRequest(stateDir, at) - at);
  }
  const stateDir = path.join(env.root, "start-daemon");
  await runCli(
    ["daemon", "--detach", "--port", "0", "--config", config, "--state-dir", stateDir],
    env.workDir,
  );
  const handed: number[] = [];
  try {
    for (let i = -1; i < samples; i++) {
      const at = Date.now();
      await runCli(
        ["run", "-p", prompt, "--json", "--state-dir", stateDir, "--out", path.join(stateDir, `r${i}.json`)],
        env.workDir,
      );
      if (i >= 0) handed.push(firstTaskRequest(stateDir, at) - at); // the first warms the directory
    }
  } finally {
    await runCli(["daemon", "stop", "--state-dir", stateDir], env.workDir);
  }
  return { cold, handed };
}
