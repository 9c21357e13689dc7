import type { DroverConfig } from "../../config/schema.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import { decomposeMarkedTasks } from "../../decompose/decompose-marked-tasks.ts";
import type { Engine } from "../../engines/contract.ts";
import type { CliContext } from "../context.ts";
import type { TtyProgress } from "../render/tty-progress.ts";

/**
 * `drover run` with tasks marked `decompose: true`: splits them with the running engine, one line
 * per classification (the live view's header, or stderr), and shows their subtasks. Undefined when
 * interrupted meanwhile.
 */
export async function decomposeForRun(input: {
  specs: TaskSpec[];
  marked: ReadonlySet<string>;
  engine: Engine;
  config: DroverConfig;
  stateDir: string;
  source: string;
  progress: TtyProgress | undefined;
  signal: AbortSignal;
  context: CliContext;
}): Promise<TaskSpec[] | undefined> {
  const { progress, context } = input;
  const say = (line: string) =>
    progress ? progress.note(`drover: ${line}`) : context.stderr.write(`drover: ${line}\n`);
  try {
    const expanded = await decomposeMarkedTasks({
      document: { specs: input.specs, idempotencyKeys: new Map(), decompose: new Set(input.marked) },
      engine: input.engine,
      config: input.config,
      stateDir: input.stateDir,
      source: input.source,
      onProgress: say,
      signal: input.signal,
    });
    progress?.addTasks(expanded.specs.map((spec) => spec.id));
    return expanded.specs;
  } catch (error) {
    if (input.signal.aborted) return undefined;
    throw error;
  }
}
