import { firstOverlap } from "../workspace/footprint-overlap.ts";
import type { LiveTask, SupervisorCore } from "./supervisor-core.ts";

// Conflict-aware scheduling: two tasks on one repository whose footprints (`touches:` and the
// paths their prompts and files name) overlap do not run at the same time; the later one waits,
// and says so once in a `workspace` event (`waiting`) that `drover ls` and `logs` show.

/** Why `task` must wait for one of `running` (same repository, overlapping footprints), if it must. */
export function footprintClash(task: LiveTask, running: readonly LiveTask[]): string | undefined {
  const mine = task.spec.workspace;
  if (!mine || mine.touches.length === 0) return undefined;
  for (const other of running) {
    const theirs = other.spec.workspace;
    if (!theirs || theirs.repo !== mine.repo || other === task) continue;
    const overlap = firstOverlap(mine.touches, theirs.touches);
    if (overlap)
      return `waits for ${other.key.taskId}: both touch ${overlap[0] === overlap[1] ? overlap[0] : `${overlap[0]} and ${overlap[1]}`}`;
  }
  return undefined;
}

/** Records why a ready task waits, once per reason. */
export function noteFootprintWait(core: SupervisorCore, task: LiveTask, reason: string): void {
  if (task.waitingFor === reason) return;
  task.waitingFor = reason;
  try {
    core.deps.store.reportEvent({ type: "workspace", ...task.key, action: "waiting", detail: reason });
  } catch (error) {
    core.warn("workspace_event", error, task.key.taskId);
  }
}
