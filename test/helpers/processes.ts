import { randomInt } from "node:crypto";
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

/**
 * Pids of live processes whose environment carries DROVER_OWNER=<owner>: servers drover started,
 * and every process they started.
 */
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

/** Pids of live processes whose command line is exactly `argv`, e.g. `["sleep", "600.123456"]`. */
export function processesRunning(argv: readonly string[]): number[] {
  const wanted = `${argv.join("\0")}\0`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "latin1") === wanted && isAlive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/**
 * A `sleep` duration no other test uses (`<seconds>.<random digits>`), so a test can find the
 * process its tool started by its command line.
 */
export function uniqueSleepSeconds(seconds: number): string {
  return `${seconds}.${randomInt(100_000, 1_000_000)}`;
}

/** SIGKILLs whatever of `pids` is still alive (test cleanup). */
export function killIfAlive(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
