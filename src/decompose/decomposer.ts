import { mkdirSync } from "node:fs";
import path from "node:path";
import type { DecomposeSettings } from "../config/decompose-settings.ts";
import { badInput } from "../core/errors.ts";
import type { Engine } from "../engines/contract.ts";
import { classifyBrief } from "./classify-brief.ts";
import { decomposeBrief } from "./decompose-brief.ts";
import type { TaskNode } from "./task-tree.ts";

export interface DecomposerOptions {
  engine: Engine;
  /** The decomposition model, "provider/model" (see decomposeModel). */
  model: string;
  settings: DecomposeSettings;
  /** The state dir: the model's sessions run in its `decompose` folder, never in the user's. */
  stateDir: string;
  /** One line per classification or split. */
  onProgress?: (line: string) => void;
  /** Aborted (with an AttemptStop reason) to cancel. */
  signal?: AbortSignal;
}

/** A brief to split: its id becomes the prefix of its subtasks' ids. */
export interface Brief {
  id: string;
  prompt: string;
  title?: string;
  /** Attached to every model call, as context. */
  files?: readonly string[];
}

/** Splits briefs with the engine and the configured model, up to `settings.depth` levels. */
export type Decomposer = (brief: Brief) => Promise<TaskNode>;

export function createDecomposer(options: DecomposerOptions): Decomposer {
  return async (brief) => {
    const dir = scratchDir(options.stateDir);
    const call = {
      engine: options.engine,
      model: options.model,
      dir,
      timeoutMs: options.settings.timeout,
      max: options.settings.max,
      ...(brief.files && brief.files.length > 0 ? { files: brief.files } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return decomposeBrief(
      { id: brief.id, prompt: brief.prompt, ...(brief.title ? { title: brief.title } : {}) },
      {
        depth: options.settings.depth,
        classify: (input) => classifyBrief(call, input),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
  };
}

/** Refuses an unknown decomposition model before any call (exit 2, naming where it was set). */
export async function checkDecomposeModel(
  engine: Engine,
  model: string,
  where: { source: string; path: string; stateDir: string },
): Promise<void> {
  const dir = scratchDir(where.stateDir);
  const issues = await engine.checkModels([{ model, source: where.source, path: where.path, dir }]);
  if (issues.length > 0) throw badInput("bad_input", issues);
}

/** The folder the model's sessions run in (created on first use). */
function scratchDir(stateDir: string): string {
  const dir = path.join(stateDir, "decompose");
  mkdirSync(dir, { recursive: true });
  return dir;
}
