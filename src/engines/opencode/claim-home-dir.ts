import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isProcessAlive } from "../../core/process-alive.ts";

/** How old an empty or unreadable claim file must be before it counts as abandoned. */
const abandonedClaimMs = 10_000;

/**
 * Claims a server home under `root` for this process: `name`, or `name-2`, `name-3`… when a live
 * drover already holds it (two drovers sharing a state dir must not share OpenCode's database). A
 * claim is a `drover.pid` file; a claim whose process is gone is taken over.
 */
export function claimHomeDir(root: string, name: string): { dir: string; release(): void } {
  for (let n = 1; n < 100; n++) {
    const dir = path.join(root, n === 1 ? name : `${name}-${n}`);
    mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, "drover.pid");
    if (tryClaim(lock)) {
      return {
        dir,
        release: () => {
          if (readClaim(lock)?.pid === process.pid) rmSync(lock, { force: true });
        },
      };
    }
  }
  throw new Error(`no free server home under ${root}`);
}

/** The live process holding the claim on `dir`, if any. */
export function liveClaimHolder(dir: string): number | undefined {
  const pid = readClaim(path.join(dir, "drover.pid"))?.pid;
  return pid !== undefined && isRunning(pid) ? pid : undefined;
}

function tryClaim(lock: string): boolean {
  if (createClaim(lock)) return true;
  const claim = readClaim(lock);
  if (!claim) return createClaim(lock); // released meanwhile
  if (claim.pid === undefined) {
    // Empty: another drover is between creating and writing it (only drovers before this fix could
    // be), unless that was long ago.
    return claim.ageMs > abandonedClaimMs && takeOver(lock, claim.text);
  }
  if (claim.pid === process.pid || isRunning(claim.pid)) return false;
  return takeOver(lock, claim.text);
}

/** Creates the claim complete or not at all: its content is written first, then linked in place. */
function createClaim(lock: string): boolean {
  const draft = `${lock}.${process.pid}.draft`;
  writeFileSync(draft, String(process.pid));
  try {
    linkSync(draft, lock); // atomic; fails if the claim exists
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * Takes over an abandoned claim. It is moved aside first (atomic), so of two drovers taking it over
 * at once only one wins: the other finds nothing to move, or moves the winner's fresh claim, sees
 * it is not the abandoned one, and puts it back.
 */
function takeOver(lock: string, abandonedText: string): boolean {
  const aside = `${lock}.${process.pid}.abandoned`;
  try {
    renameSync(lock, aside);
  } catch {
    return false;
  }
  const moved = readClaim(aside);
  if (moved?.text !== abandonedText) {
    try {
      linkSync(aside, lock);
    } catch {
      // A third drover claimed it meanwhile; it is theirs now.
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return createClaim(lock);
}

function readClaim(lock: string): { text: string; pid: number | undefined; ageMs: number } | undefined {
  try {
    const text = readFileSync(lock, "utf8");
    const pid = Number(text.trim());
    const ageMs = Date.now() - statSync(lock).mtimeMs;
    return { text, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, ageMs };
  } catch {
    return undefined;
  }
}

/** Whether a process runs with this pid (kept under this name for the engine's callers). */
export const isRunning = isProcessAlive;
