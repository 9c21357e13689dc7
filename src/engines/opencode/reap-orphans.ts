import { readdirSync, readFileSync } from "node:fs";
import { isRunning } from "./claim-home-dir.ts";

/**
 * Kills the process groups of servers an earlier drover started under `owner` and left behind
 * (a `kill -9` of drover cannot run its exit hooks). Servers carry `DROVER_OWNER=<owner>` and
 * `DROVER_OWNER_PID` in their environment, so only children of a drover that is gone match. Linux only (/proc); elsewhere it finds none.
 * Returns the pids it killed.
 */
export function reapOrphanServers(owner: string, keepGroups: ReadonlySet<number> = new Set()): number[] {
  const marker = `DROVER_OWNER=${owner}\0`;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (!environ.includes(marker)) continue;
      // Servers of a drover that is still running are not orphans.
      const ownerPid = Number(/(?:^|\0)DROVER_OWNER_PID=(\d+)/.exec(environ)?.[1]);
      if (ownerPid && isRunning(ownerPid)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (keepGroups.has(pgid)) continue;
      process.kill(pgid > 1 ? -pgid : Number(entry), "SIGKILL");
      killed.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return killed;
}
