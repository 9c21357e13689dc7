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
  /** The batch's budget in USD. */
  budget?: number;
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
  // Each task is checked by the engine that will run it (its `engine`, else the default).
  const byEngine = new Map<Engine, { spec: TaskSpec; index: number }[]>();
  const engineIssues: InputIssue[] = [];
  specs.forEach((spec, index) => {
    const unavailable = supervisor ? engineProblem(supervisor, spec) : undefined;
    if (unavailable && "message" in unavailable) {
      engineIssues.push({
        source,
        path: `tasks[${index}].${unavailable.field}`,
        message: unavailable.message,
      });
      return;
    }
    const chosen = unavailable ?? engine;
    byEngine.set(chosen, [...(byEngine.get(chosen) ?? []), { spec, index }]);
  });
  const checks = [...byEngine].map(([chosen, entries]) => {
    const choices: EngineChoices = {
      models: entries.map(({ spec, index }) => ({
        model: spec.model,
        source,
        path: `tasks[${index}].model`,
        dir: spec.dir,
        ...(spec.workspace ? { repo: spec.workspace.repo } : {}),
        ...(spec.sandbox ? { sandbox: spec.sandbox } : {}),
      })),
      agents: entries.flatMap(({ spec, index }) =>
        spec.agent ? [{ agent: spec.agent, dir: spec.dir, source, path: `tasks[${index}].agent` }] : [],
      ),
    };
    // Warming each directory (a throwaway first turn) goes on beside the batch instead of before it:
    // the first task need not wait for it (fast start); it only takes the one-time cost off later ones.
    // Repository tasks run in worktrees made later, on their repository's own servers: nothing to warm.
    const warmDirs = entries.filter(({ spec }) => !spec.workspace).map(({ spec }) => spec.dir);
    void chosen.prepare(warmDirs).catch(() => undefined);
    return findChoiceIssues(chosen, choices);
  });
  const [workspaceIssues, ...choiceIssues] = await Promise.all([
    supervisor ? supervisor.checkWorkspaces(specs, source) : [],
    ...checks,
  ]);
  const issues = [...engineIssues, ...workspaceIssues, ...choiceIssues.flat()];
  if (issues.length > 0) throw badInput("bad_input", issues);
}

/** Checks models, submits the batch to the supervisor, and resolves with its results once every task is final. */
export async function dispatchBatch(options: DispatchBatchOptions): Promise<BatchResults> {
  await checkTaskModels(options.engine, options.specs, options.source, options.supervisor);
  const { batchId } = options.supervisor.submit({
    specs: options.specs,
    source: options.source,
    ...(options.strategy ? { strategy: options.strategy } : {}),
    ...(options.budget !== undefined ? { budget: options.budget } : {}),
  });
  options.onBatch?.(batchId);
  await options.supervisor.whenBatchDone(batchId);
  return buildBatchResults(options.store, batchId);
}

/** The engine of a task, or why it cannot run it (an engine not registered or not installed, a sandbox that cannot be had). */
function engineProblem(
  supervisor: Supervisor,
  spec: TaskSpec,
): Engine | { field: "engine" | "sandbox"; message: string } {
  try {
    const engine = supervisor.engineOf(spec);
    const problem = engine.unavailable?.(spec.sandbox ? { sandbox: spec.sandbox } : {});
    return problem ? { field: problem.field, message: `${spec.id}: ${problem.message}` } : engine;
  } catch (error) {
    return {
      field: "engine",
      message: `${spec.id}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
