import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { isServerLeader } from "./process-table.ts";

/** What drover remembers of the servers it runs, so a restarted drover can adopt them. */
export const ServerRecord = z.object({
  name: z.string(),
  dir: z.string(),
  pid: z.number().int(),
  url: z.string(),
  password: z.string(),
  /** The `DROVER_SERVER_ID` the server and its tools carry: what proves `pid` is still this server. */
  serverId: z.string(),
});
export type ServerRecord = z.infer<typeof ServerRecord>;

/** Reads the registry; a missing or damaged file is an empty one. */
export function readServerRegistry(file: string): ServerRecord[] {
  try {
    return z.array(ServerRecord).parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return [];
  }
}

/** Writes the registry readable by the owner only: it holds the servers' passwords. */
export function writeServerRegistry(file: string, records: readonly ServerRecord[]): void {
  if (records.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeFileSync(file, JSON.stringify(records, null, 2), { mode: 0o600 });
}

/**
 * Records the server running in the home `homeDir` (`server.json`), or that none runs there: a
 * server that is stopped, lost, attached to rather than started, or whose password is unknown.
 */
export function recordServerIn(
  homeDir: string,
  server: { name: string; url: string; process?: { pid: number; serverId: string } } | undefined,
  password: string | undefined,
): void {
  const file = path.join(homeDir, "server.json");
  const running = server?.process;
  if (!server || !running || !password) {
    writeServerRegistry(file, []);
    return;
  }
  const { pid, serverId } = running;
  writeServerRegistry(file, [{ name: server.name, dir: homeDir, pid, url: server.url, password, serverId }]);
}

/**
 * Whether the recorded server still runs under its pid. A pid alone proves nothing: it may have been
 * reused, even by another drover's server or a tool of this state dir, which must never be adopted
 * or signalled. A reused pid lacks the recorded server id, or (a descendant of that server) does
 * not lead its own process group under that pid.
 */
export function isRecordedServer(record: ServerRecord): boolean {
  return isServerLeader(record.pid, record.serverId);
}
