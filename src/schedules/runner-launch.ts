import { DroverError } from "../core/errors.ts";
import type { RunnerService } from "../runners/runner-service.ts";
import type { Store } from "../store/store.ts";

/**
 * Starts a run of a runner for a schedule and resolves with its batch id. A run takes the
 * runner's lock and submits its batch before its first wait, so the batch is known as soon as
 * `run` returns; if a later version waits earlier, this waits for the run's end instead. A busy
 * runner is refused (`conflict`): the slot is recorded failed with the reason, not queued.
 */
export async function startRunnerRun(
  deps: { runners: RunnerService; store: Store },
  runner: string,
  prompt: string,
): Promise<string> {
  const before = deps.runners.get(runner).activeRun;
  const running = deps.runners.run(runner, prompt);
  const active = deps.runners.get(runner).activeRun;
  const batchId = active && active !== before ? deps.store.runners.getRun(active)?.batchId : undefined;
  if (batchId) {
    // The run goes on after the firing is recorded; its own record says how it ended.
    running.catch(() => undefined);
    return batchId;
  }
  const result = await running;
  if (!result.run.batchId)
    throw new DroverError("internal", `runner "${runner}" finished its run without a batch`);
  return result.run.batchId;
}
