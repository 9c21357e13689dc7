import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Claims a server home under `root` for this process: `name`, or `name-2`, `name-3`… when a
 * live drover already holds it (two drovers sharing a state dir must not share OpenCode's
 * database). A claim is a `drover.pid` file; a claim whose process is gone is taken over.
 */
export function claimHomeDir(root: string, name: string): { dir: string; release(): void } {
  for (let n = 1; n < 100; n++) {
    const dir = path.join(root, n === 1 ? name : `${name}-${n}`);
    mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, "drover.pid");
    if (tryClaim(lock)) {
      return { dir, release: () => rmSync(lock, { force: true }) };
    }
  }
  throw new Error(`no free server home under ${root}`);
}

function tryClaim(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    const holder = Number(readFileSync(lock, "utf8").trim());
    if (holder === process.pid) return false;
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) return false;
    rmSync(lock, { force: true });
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      return true;
    } catch {
      return false;
    }
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
