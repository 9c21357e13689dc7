import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OpencodeSettings } from "../../src/config/schema.ts";
import { prepareEngineHome } from "../../src/engines/opencode/engine-home.ts";
import { generateOpencodeConfig } from "../../src/engines/opencode/opencode-config.ts";
import { resolveOpencodeBin } from "../../src/engines/opencode/resolve-opencode-bin.ts";
import {
  type ScriptedModelServer,
  type ScriptedRequestRecord,
  startScriptedModel,
} from "../../src/mock-model/server.ts";

/** One bench workspace: a scripted model, an OpenCode config pointing at it, a work dir and a HOME. */
export interface BenchEnv {
  root: string;
  workDir: string;
  bin: string;
  model: ScriptedModelServer;
  requests: ScriptedRequestRecord[];
  opencodeConfig: Record<string, unknown>;
  /** Environment for opencode processes (own HOME/XDG, config, no models fetch). */
  opencodeEnv(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function createBenchEnv(name: string): Promise<BenchEnv> {
  const root = mkdtempSync(path.join(tmpdir(), `drover-bench-${name}-`));
  const workDir = path.join(root, "work");
  mkdirSync(workDir, { recursive: true });
  const requests: ScriptedRequestRecord[] = [];
  const model = await startScriptedModel({ onRequest: (record) => requests.push(record) });
  const opencodeConfig = generateOpencodeConfig({
    settings: OpencodeSettings.parse({}),
    model: "drover/scripted",
    scriptedBaseURL: model.baseURL,
  });
  const home = prepareEngineHome(path.join(root, "naive-home"));
  return {
    root,
    workDir,
    bin: resolveOpencodeBin(undefined),
    model,
    requests,
    opencodeConfig,
    opencodeEnv: (extra = {}) => ({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...home.env,
      OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig),
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_PERMISSION: '{"*":"allow","question":"deny"}',
      ...extra,
    }),
    async close() {
      await model.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Prompts for the two workloads: a trivial answer, or one bash tool call then an answer. */
export function benchPrompt(kind: "trivial" | "tool", i: number): string {
  return kind === "trivial" ? `[[reply ok ${i}]]` : `[[bash echo task-${i}]] [[reply ran ${i}]]`;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return out;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
