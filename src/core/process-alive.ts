import { readFileSync } from "node:fs";

/**
 * Whether a process with this pid exists (signal 0 probes without signalling; EPERM means it
 * exists). A zombie — dead, not yet reaped by its parent — counts as gone (Linux: its /proc state).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
