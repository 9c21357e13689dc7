import { existsSync } from "node:fs";
import path from "node:path";
import { openState } from "../../app.ts";
import type { LoadedConfig } from "../../config/load.ts";
import { DroverError } from "../../core/errors.ts";
import { isProcessAlive } from "../../core/process-alive.ts";
import type { TaskSpec } from "../../core/task-spec.ts";

/** A `drover run` owner (`run:<pid>:<ts>`) whose process is gone. */
export function isDeadRunOwner(owner: string | undefined): boolean {
  const pid = Number(/^run:(\d+):/.exec(owner ?? "")?.[1]);
  return pid > 0 && !isProcessAlive(pid);
}

/** The newest unfinished batch of `source` whose `drover run` died, if any (reading never creates a state dir). */
export function findResumableBatch(loaded: LoadedConfig, source: string): string | undefined {
  if (!existsSync(path.join(loaded.stateDir, "drover.db"))) return undefined;
  const state = openState({ loaded });
  try {
    return state.store.listUnfinishedBatches(source).find((batch) => isDeadRunOwner(batch.owner))?.id;
  } finally {
    void state.close();
  }
}

/** What a resumed batch needs before the engine starts: its source and its tasks (for their models). */
export function readBatchForResume(
  loaded: LoadedConfig,
  batchId: string,
): { source: string; specs: TaskSpec[] } {
  if (!existsSync(path.join(loaded.stateDir, "drover.db")))
    throw new DroverError("not_found", `no batch ${batchId}: nothing has run in ${loaded.stateDir}`);
  const state = openState({ loaded });
  try {
    const batch = state.store.getBatch(batchId);
    if (!batch) throw new DroverError("not_found", `no batch ${batchId} in ${loaded.stateDir}`);
    if (batch.finishedAt)
      throw new DroverError("conflict", `batch ${batchId} has finished; nothing to resume`);
    return { source: batch.source, specs: state.store.listTasks(batchId).map((task) => task.spec) };
  } finally {
    void state.close();
  }
}
