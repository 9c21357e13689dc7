import { type DecomposeSettings, decomposeModel } from "../config/decompose-settings.ts";
import type { Engine } from "../engines/contract.ts";
import type { TaskDocument } from "../intake/read-task-file.ts";
import { checkDecomposeModel, createDecomposer } from "./decomposer.ts";
import { expandTaskDocument } from "./expand-task-document.ts";

/**
 * `decompose: true` in a task file or an API submission: checks the decomposition model, then
 * replaces each marked task by its subtasks (see expandTaskDocument). A document with no marked
 * task comes back as it is, without a model call.
 */
export async function decomposeMarkedTasks(input: {
  document: TaskDocument;
  engine: Engine;
  config: { model: string; modelTiers: readonly (readonly string[])[]; decompose: DecomposeSettings };
  stateDir: string;
  /** Labels problems (the task file, or "request"). */
  source: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}): Promise<TaskDocument> {
  if (!input.document.decompose || input.document.decompose.size === 0) return input.document;
  const model = decomposeModel(input.config);
  await checkDecomposeModel(input.engine, model, {
    source: input.config.decompose.model ? "decompose.model" : "model",
    path: "",
    stateDir: input.stateDir,
  });
  const decompose = createDecomposer({
    engine: input.engine,
    model,
    settings: input.config.decompose,
    stateDir: input.stateDir,
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  return expandTaskDocument(input.document, decompose, input.source);
}

/** The models a document needs beyond its tasks' own: the decomposition model, when a task is marked. */
export function decompositionModels(
  document: { decompose?: ReadonlySet<string> },
  config: { model: string; modelTiers: readonly (readonly string[])[]; decompose: DecomposeSettings },
): string[] {
  return document.decompose && document.decompose.size > 0 ? [decomposeModel(config)] : [];
}
