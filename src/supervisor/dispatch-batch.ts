import { badInput, type InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { Engine } from "../engines/contract.ts";
import type { Strategy } from "../queue/strategy.ts";
import type { Store } from "../store/store.ts";
import { type BatchResults, buildBatchResults } from "./batch-results.ts";
import type { Supervisor } from "./supervisor.ts";

export interface DispatchBatchOptions {
  store: Store;
  engine: Engine;
  supervisor: Supervisor;
  specs: readonly TaskSpec[];
  /** Where the tasks came from (a file path, or "-p"), for errors and the batch record. */
  source: string;
  strategy?: Strategy;
  /** Called with the batch id once the batch is stored, before any task starts. */
  onBatch?: (batchId: string) => void;
}

/** Models and agents to check before anything runs, each with where it was asked for. */
export interface EngineChoices {
  models: { model: string; source: string; path: string; dir?: string }[];
  agents: { agent: string; dir: string; source: string; path: string }[];
}

/** Every unknown model, unreachable provider and unknown agent among `choices`, found by asking the engine. */
export async function findChoiceIssues(engine: Engine, choices: EngineChoices): Promise<InputIssue[]> {
  const [modelIssues, agentIssues] = await Promise.all([
    choices.models.length > 0 ? engine.checkModels(choices.models) : [],
    choices.agents.length > 0 ? engine.checkAgents(choices.agents) : [],
  ]);
  return [...modelIssues, ...agentIssues];
}

/**
 * Checks that the engine knows every task's model, and every task's agent in the task's directory,
 * and that tasks' repositories and bases exist, before anything is stored or started; every
 * problem is reported at once.
 */
export async function checkTaskModels(
  engine: Engine,
  specs: readonly TaskSpec[],
  source: string,
  supervisor?: Supervisor,
): Promise<void> {
  const choices: EngineChoices = {
    models: specs.map((spec, index) => ({
      model: spec.model,
      source,
      path: `tasks[${index}].model`,
      dir: spec.dir,
    })),
    agents: specs.flatMap((spec, index) =>
      spec.agent ? [{ agent: spec.agent, dir: spec.dir, source, path: `tasks[${index}].agent` }] : [],
    ),
  };
  // Warming each directory (a throwaway first turn) goes on beside the batch instead of before it:
  // the first task need not wait for it (fast start); it only takes the one-time cost off later ones.
  void engine.prepare(specs.map((spec) => spec.dir)).catch(() => undefined);
  const [choiceIssues, workspaceIssues] = await Promise.all([
    findChoiceIssues(engine, choices),
    supervisor ? supervisor.checkWorkspaces(specs, source) : [],
  ]);
  const issues = [...workspaceIssues, ...choiceIssues];
  if (issues.length > 0) throw badInput("bad_input", issues);
}

/** Checks models, submits the batch to the supervisor, and resolves with its results once every task is final. */
export async function dispatchBatch(options: DispatchBatchOptions): Promise<BatchResults> {
  await checkTaskModels(options.engine, options.specs, options.source, options.supervisor);
  const { batchId } = options.supervisor.submit({
    specs: options.specs,
    source: options.source,
    ...(options.strategy ? { strategy: options.strategy } : {}),
  });
  options.onBatch?.(batchId);
  await options.supervisor.whenBatchDone(batchId);
  return buildBatchResults(options.store, batchId);
}
