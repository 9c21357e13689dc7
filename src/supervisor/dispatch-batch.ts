import type { Clock } from "../core/clock.ts";
import { badInput } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { Engine } from "../engines/contract.ts";
import type { Store } from "../store/store.ts";
import { type BatchResults, buildBatchResults } from "./batch-results.ts";
import { runBatch } from "./run-batch.ts";

export interface DispatchBatchOptions {
  store: Store;
  engine: Engine;
  clock: Clock;
  specs: readonly TaskSpec[];
  /** Where the tasks came from (a file path, or "-p"), for errors and the batch record. */
  source: string;
  concurrency: number;
  signal: AbortSignal;
  /** Called with the batch id once the batch is stored, before any task starts. */
  onBatch?: (batchId: string) => void;
}

/**
 * Checks every task's model with the engine, then stores the batch and runs it. Bad models
 * throw `bad_input` before anything is stored or started.
 */
export async function dispatchBatch(options: DispatchBatchOptions): Promise<BatchResults> {
  const uses = options.specs.map((spec, index) => ({
    model: spec.model,
    source: options.source,
    path: `tasks[${index}].model`,
  }));
  const issues = await options.engine.checkModels(uses);
  if (issues.length > 0) throw badInput("bad_input", issues);
  const batchId = newId("bat");
  options.store.createBatch(batchId, options.source, options.specs);
  options.onBatch?.(batchId);
  await runBatch({
    store: options.store,
    engine: options.engine,
    clock: options.clock,
    batchId,
    specs: options.specs,
    concurrency: options.concurrency,
    signal: options.signal,
  });
  return buildBatchResults(options.store, batchId);
}
