import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Pids of live processes whose environment holds `needle` (a HOME or CODEX_HOME under the state dir). */
export function processesMentioning(needle: string): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      return readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/** The process group of a pid (from /proc/PID/stat), or undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined;
  }
}

/** The working directory of a pid, or undefined when it is gone or not ours. */
export function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The command line of a pid, space-separated. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}
