import path from "node:path";
import { OpencodeServer } from "./opencode-server.ts";
import { adoptServerProcess } from "./server-process.ts";
import {
  isRecordedServer,
  readServerRegistry,
  type ServerRecord,
  writeServerRegistry,
} from "./server-registry.ts";
import { withTimeout } from "./with-timeout.ts";

/**
 * Takes over the server an earlier drover ran in this home (`<home>/server.json`), if that very
 * process still runs and answers within `startTimeoutMs`. Anything less, and the record is
 * dropped: the server (with its tools) is then stopped, or, if its pid is no longer that server,
 * left alone — it belongs to someone else now.
 */
export async function adoptRecordedServer(options: {
  homeDir: string;
  startTimeoutMs: number;
  onStreamProblem: (message: string) => void;
}): Promise<{ server: OpencodeServer; record: ServerRecord } | undefined> {
  const file = path.join(options.homeDir, "server.json");
  const record = readServerRegistry(file).find((entry) => entry.dir === options.homeDir);
  if (!record || !isRecordedServer(record)) {
    writeServerRegistry(file, []);
    return undefined;
  }
  const server = new OpencodeServer({
    name: record.name,
    url: record.url,
    username: "opencode",
    password: record.password,
    process: adoptServerProcess(record.pid, record.url, record.serverId),
    onStreamProblem: options.onStreamProblem,
  });
  const deadline = Date.now() + options.startTimeoutMs;
  const answers =
    (await answersBefore(server, deadline)) &&
    (await withTimeout(server.ready, Math.max(1, deadline - Date.now()), "no event stream").then(
      () => true,
      () => false,
    ));
  if (!answers) {
    await server.stop();
    writeServerRegistry(file, []);
    return undefined;
  }
  return { server, record };
}

/** Asks for /global/health until `deadline`: a machine busy with the sessions the server still runs may answer slowly. */
async function answersBefore(server: OpencodeServer, deadline: number): Promise<boolean> {
  for (;;) {
    if (await server.healthy(Math.min(5000, Math.max(1, deadline - Date.now())))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
