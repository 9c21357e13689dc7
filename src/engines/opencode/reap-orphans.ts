import { readdirSync } from "node:fs";
import path from "node:path";
import type { DroverEventBody } from "../../core/events.ts";
import { isRunning, liveClaimHolder } from "./claim-home-dir.ts";
import { killUntilNoneLeft, listTaggedProcesses, type TaggedProcess } from "./process-table.ts";
import { readServerRegistry } from "./server-registry.ts";

/**
 * Kills what servers an earlier drover started under `owner` left behind (a `kill -9` of drover
 * cannot run its exit hooks): the servers, and every tool process they started, found by the
 * `DROVER_OWNER`, `DROVER_OWNER_PID` and `DROVER_SERVER_ID` their environments carry (Linux only,
 * /proc; elsewhere it finds none). Spared are processes whose drover still runs, and those of
 * servers someone adopted: `adopted` here, or recorded in a home a live drover holds. Returns the
 * pids it killed.
 */
export function reapOrphanServers(owner: string, adopted: ReadonlySet<string> = new Set()): number[] {
  const spared = new Set([...adopted, ...serversOfLiveDrovers(owner)]);
  const isOrphan = (p: TaggedProcess) =>
    p.owner === owner &&
    !(p.ownerPid !== undefined && isRunning(p.ownerPid)) &&
    !(p.serverId !== undefined && spared.has(p.serverId));
  return killUntilNoneLeft(() => listTaggedProcesses().filter(isOrphan));
}

/**
 * Ids of the servers recorded in homes a live drover holds. An adopted server still carries the
 * pid of the drover that crashed, so without this a second drover starting on the same state dir
 * would reap the servers (and tools) the first one adopted.
 */
function serversOfLiveDrovers(owner: string): string[] {
  let homes: string[];
  try {
    homes = readdirSync(owner);
  } catch {
    return [];
  }
  return homes.flatMap((home) => {
    const dir = path.join(owner, home);
    if (liveClaimHolder(dir) === undefined) return [];
    return readServerRegistry(path.join(dir, "server.json")).map((record) => record.serverId);
  });
}

/** The warning that says what was reaped. */
export function reapedWarning(pids: readonly number[]): Extract<DroverEventBody, { type: "warning" }> {
  return {
    type: "warning",
    code: "orphans_reaped",
    message: `killed ${pids.length} OpenCode process(es) left by an earlier drover: ${pids.join(", ")}`,
  };
}
