import path from "node:path";
import { badInput } from "../../core/errors.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import type { Strategy } from "../../queue/strategy.ts";
import { promptTaskSpecs } from "./prompt-tasks.ts";

/** The `drover run` flags that say what to run besides a task file. */
export interface PromptFlags {
  prompt?: string[];
  dir?: string;
  allowSecrets?: boolean;
}

export interface ReadTasks {
  specs: TaskSpec[];
  source: string;
  strategy?: Strategy;
  /** The batch's budget in USD (the task file's `budget`). */
  budget?: number;
  idempotencyKeys?: ReadonlyMap<string, string>;
  /** Tasks marked `decompose: true`, split into subtasks once the engine runs. */
  decompose?: ReadonlySet<string>;
}

/** The tasks `drover run` was given: a task file, or `-p` prompts (one of them, not both). */
export function readTasks(
  file: string | undefined,
  flags: PromptFlags,
  defaults: { model: string; timeoutMs: number; agent?: string },
  cwd: string,
): ReadTasks {
  if (file && flags.prompt) {
    throw badInput("bad_input", [
      { source: "command line", path: "", message: "give a task file or -p prompts, not both" },
    ]);
  }
  if (file) {
    const source = path.resolve(cwd, file);
    const document = readTaskDocument(source, defaults);
    return {
      specs: document.specs,
      source,
      ...(document.strategy ? { strategy: document.strategy } : {}),
      ...(document.budget !== undefined ? { budget: document.budget } : {}),
      idempotencyKeys: document.idempotencyKeys,
      ...(document.decompose ? { decompose: document.decompose } : {}),
    };
  }
  if (!flags.prompt || flags.prompt.length === 0) {
    throw badInput("bad_input", [
      { source: "command line", path: "", message: "nothing to run: give a task file or -p PROMPT" },
    ]);
  }
  const specs = promptTaskSpecs(
    flags.prompt,
    { ...(flags.dir ? { dir: flags.dir } : {}), ...(flags.allowSecrets ? { allowSecrets: true } : {}) },
    { ...defaults, baseDir: cwd },
  );
  return { specs, source: "-p" };
}
