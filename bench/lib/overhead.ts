import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { log, type Row } from "./rows.ts";
import { createBenchEnv } from "./setup.ts";

const child = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../overhead-child.mjs");

/** drover's own RSS and CPU with 10,000 tasks queued and 100 running (bench/overhead-child.mjs). */
export async function overheadRows(): Promise<Row[]> {
  const env = await createBenchEnv("overhead");
  try {
    log("supervisor overhead: 10,000 queued, 100 running");
    // The same V8 setting as bin/drover.js's shebang: drover's process as users run it.
    const proc = spawn(
      process.execPath,
      ["--max-semi-space-size=2", child, path.join(env.root, "state"), env.model.baseURL, env.workDir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
      rssMb: number;
      cpuMsPerSecond: number;
      submitMs: number;
      running: number;
      heapUsedMb: number;
    };
    return [
      {
        name: "supervisor-overhead",
        metric: "drover RSS",
        drover: result.rssMb,
        naive: null,
        raw: null,
        unit: "MB",
        note: `10,000 queued, ${result.running} running; heap ${result.heapUsedMb} MB; submit took ${result.submitMs} ms`,
      },
      {
        name: "supervisor-overhead",
        metric: "drover CPU",
        drover: result.cpuMsPerSecond,
        naive: null,
        raw: null,
        unit: "ms CPU per s",
        note: "steady state, 10 s window",
      },
    ];
  } finally {
    await env.close();
  }
}
