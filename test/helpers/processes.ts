import { readdirSync, readFileSync } from "node:fs";

/** Whether a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Pids of live processes whose process group is one of `groups` (a server and every tool it ran). */
export function membersOfGroups(groups: readonly number[]): number[] {
  const wanted = new Set(groups);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const state = fields[0];
      const pgid = Number(fields[2]);
      if (wanted.has(pgid) && state !== "Z") found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Pids of live processes whose environment carries DROVER_OWNER=<owner> (servers drover started). */
export function processesOwnedBy(owner: string): number[] {
  const marker = `DROVER_OWNER=${owner}\0`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker) && isAlive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {
      // Not ours to read, or gone.
    }
  }
  return found;
}
