import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { samplePeak } from "./rss.ts";
import type { BenchEnv } from "./setup.ts";
import { benchPrompt, mapLimit } from "./setup.ts";

/** The seeds' naive method: one cold `opencode run` process per task, prompt on stdin. */
export async function runNaive(
  env: BenchEnv,
  kind: "trivial" | "tool",
  count: number,
  concurrency: number,
): Promise<{ wallMs: number; ok: number; failed: number; peakRssMb: number; spawnTimes: number[] }> {
  const live = new Set<number>();
  const sampler = samplePeak(() => [...live]);
  const spawnTimes: number[] = [];
  const started = Date.now();
  const results = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    (i) =>
      new Promise<boolean>((resolve) => {
        spawnTimes[i] = Date.now();
        // Each process gets its own data dir, as aidevops does: a shared opencode.db makes
        // concurrent cold runs fail with "database is locked" (anomalyco/opencode#21215).
        const dataDir = path.join(env.root, "naive-data", String(i));
        mkdirSync(dataDir, { recursive: true });
        const child = spawn(env.bin, ["run", "--format", "json", "-m", "drover/scripted"], {
          cwd: env.workDir,
          env: env.opencodeEnv({ XDG_DATA_HOME: dataDir }),
          stdio: ["pipe", "pipe", "pipe"],
        });
        if (child.pid) live.add(child.pid);
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.stderr.resume();
        child.stdin.end(`${benchPrompt(kind, i)}\n`);
        child.once("exit", (code) => {
          if (child.pid) live.delete(child.pid);
          resolve(code === 0 && out.includes(`"type":"text"`));
        });
      }),
  );
  const wallMs = Date.now() - started;
  const peakRssMb = sampler.stop();
  const ok = results.filter(Boolean).length;
  return { wallMs, ok, failed: count - ok, peakRssMb, spawnTimes };
}
