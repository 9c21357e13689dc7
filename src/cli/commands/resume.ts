import { existsSync } from "node:fs";
import path from "node:path";
import { openState } from "../../app.ts";
import { type LoadedConfig, loadConfig } from "../../config/load.ts";
import { badInput, DroverError } from "../../core/errors.ts";
import { isProcessAlive } from "../../core/process-alive.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import type { CliContext } from "../context.ts";

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

/** How often `wait` and `logs -f` check that the batch they follow still has a live supervisor. */
const orphanCheckMs = 2_000;

/**
 * Watches a batch run by a `drover run` (not a daemon): if that process dies (kill -9, lost
 * terminal), `onOrphaned` is called once with a message pointing at `drover resume`, so a script
 * waiting on the batch fails instead of hanging. Returns a function that stops watching.
 */
export function watchForOrphanedBatch(
  loaded: LoadedConfig,
  batchId: string,
  onOrphaned: (message: string) => void,
): () => void {
  if (!existsSync(path.join(loaded.stateDir, "drover.db"))) return () => undefined;
  const check = () => {
    const state = openState({ loaded });
    try {
      const batch = state.store.getBatch(batchId);
      if (!batch || batch.finishedAt || !isDeadRunOwner(batch.owner)) return false;
      const pid = /^run:(\d+):/.exec(batch.owner ?? "")?.[1];
      onOrphaned(
        `batch ${batchId} will not finish by itself: the drover run that ran it (pid ${pid}) is gone; finish it with \`drover resume ${batchId}\``,
      );
      return true;
    } catch {
      return false;
    } finally {
      void state.close();
    }
  };
  if (check()) return () => undefined;
  const timer = setInterval(() => {
    if (check()) clearInterval(timer);
  }, orphanCheckMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** `drover resume BATCH --budget USD`: the batch's own budget, set before it is taken up again. */
export function setBatchBudget(
  batchId: string,
  value: string,
  flags: { config?: string; stateDir?: string },
  context: CliContext,
): void {
  const usd = Number(value);
  if (value.trim() === "" || !Number.isFinite(usd) || usd < 0)
    throw badInput("bad_input", [
      { source: "--budget", path: "", message: `"${value}" is not an amount of USD (a number, 0 or more)` },
    ]);
  const loaded = loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: { stateDir: flags.stateDir },
  });
  const state = openState({ loaded });
  try {
    if (!state.store.getBatch(batchId)) throw new DroverError("not_found", `no batch ${batchId}`);
    state.store.spend.setBatchBudget(batchId, usd);
  } finally {
    void state.close();
  }
}
