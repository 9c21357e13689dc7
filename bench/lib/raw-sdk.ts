import path from "node:path";
import { createOpencodeClient } from "@opencode-ai/sdk/v2";
import { prepareEngineHome } from "../../src/engines/opencode/engine-home.ts";
import { spawnServer } from "../../src/engines/opencode/server-process.ts";
import { samplePeak } from "./rss.ts";
import type { BenchEnv } from "./setup.ts";
import { benchPrompt } from "./setup.ts";

/** Raw SDK: one warm server; create sessions, prompt_async them all, wait for every session.idle. */
export async function runRawSdk(
  env: BenchEnv,
  kind: "trivial" | "tool",
  count: number,
): Promise<{ wallMs: number; ok: number; failed: number; peakRssMb: number }> {
  const home = prepareEngineHome(path.join(env.root, `raw-${Date.now()}`));
  const password = "bench-raw";
  const server = await spawnServer({
    bin: env.bin,
    cwd: env.workDir,
    env: { ...env.opencodeEnv(), ...home.env, OPENCODE_SERVER_PASSWORD: password },
    logFile: path.join(env.root, "raw-server.log"),
    startTimeoutMs: 30_000,
  });
  const headers = { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString("base64")}` };
  const client = createOpencodeClient({ baseUrl: server.url, headers });
  try {
    // Warm the directory's instance first, as a warm server would be.
    const warm = await client.session.create({ directory: env.workDir, title: "warm" });
    await client.session.prompt({
      sessionID: warm.data?.id as string,
      parts: [{ type: "text", text: "[[reply warm]]" }],
    });

    const idle = new Set<string>();
    const errors = new Set<string>();
    const controller = new AbortController();
    const events = await client.global.event({ signal: controller.signal });
    let resolveAll: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const wanted = new Set<string>();
    void (async () => {
      for await (const raw of events.stream as AsyncIterable<{
        payload?: { type: string; properties: { sessionID?: string } };
      }>) {
        const event = raw.payload;
        if (!event) continue;
        const id = event.properties?.sessionID;
        if (!id || !wanted.has(id)) continue;
        if (event.type === "session.idle") idle.add(id);
        if (event.type === "session.error") errors.add(id);
        if (idle.size + errors.size >= count) resolveAll();
      }
    })().catch(() => undefined);

    const sampler = samplePeak(() => [server.pid]);
    const started = Date.now();
    const sessions = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const session = await client.session.create({ directory: env.workDir, title: `raw ${i}` });
        const id = session.data?.id as string;
        wanted.add(id);
        return { id, i };
      }),
    );
    await Promise.all(
      sessions.map(({ id, i }) =>
        client.session.promptAsync({ sessionID: id, parts: [{ type: "text", text: benchPrompt(kind, i) }] }),
      ),
    );
    await allDone;
    const wallMs = Date.now() - started;
    const peakRssMb = sampler.stop();
    controller.abort();
    return { wallMs, ok: count - errors.size, failed: errors.size, peakRssMb };
  } finally {
    await server.stop();
  }
}
