import { DroverError } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { parseTaskDocument, readTaskDocument, type TaskDocument } from "../intake/read-task-file.ts";
import type { TaskDefaults } from "../intake/resolve-task-specs.ts";
import type { ScheduleRecord } from "../store/schedules.ts";
import type { SubmitInput, SubmitResult } from "../supervisor/submit-batch.ts";

/** What a firing needs to start a schedule's work; the daemon passes its supervisor, engine and runners. */
export interface ScheduleLaunchDeps {
  /** Defaults for task files and prompts (the daemon's config). */
  taskDefaults: Omit<TaskDefaults, "baseDir">;
  /** The prompt's dir when a schedule names none (the daemon's working directory). */
  baseDir: string;
  /** Stores a batch, skipping tasks whose idempotency key exists (the supervisor's submit). */
  submit(input: SubmitInput): SubmitResult;
  /** Checks the tasks' models and agents with the engine, throwing bad input; absent: not checked. */
  checkTasks?(specs: readonly TaskSpec[], source: string): Promise<void>;
  /** Starts a run of a runner; resolves with its batch id once it has one. Absent: runner schedules fail. */
  startRunner?(runner: string, prompt: string): Promise<string>;
}

/** Starts the work of a claimed slot and resolves with its batch id. */
export type StartWork = () => Promise<string>;

/** Where a scheduled batch says it came from (`drover status`, `GET /v1/batches`). */
export const scheduleSource = (name: string) => `schedule:${name}`;

/**
 * Reads and checks what a schedule runs — its task file read again now, so edits since `add`
 * apply — and returns how to start it; throws bad input (naming the file and field) when it
 * cannot run. Each task's idempotency key is `KEY/TASK` (KEY = `NAME@slot`), replacing any key
 * the file sets: a slot's tasks are created once, whoever submits them.
 */
export async function prepareLaunch(
  deps: ScheduleLaunchDeps,
  schedule: ScheduleRecord,
  key: string,
): Promise<StartWork> {
  const source = scheduleSource(schedule.name);
  if (schedule.runner !== undefined) {
    const { runner, prompt = "" } = schedule;
    const start = deps.startRunner;
    if (!start) throw new DroverError("bad_input", "runner schedules need the daemon's runners");
    return () => start(runner, prompt);
  }
  const document = readWork(deps, schedule);
  if (document.decompose)
    throw new DroverError(
      "bad_input",
      `${schedule.file}: tasks marked decompose: true cannot be scheduled; run \`drover decompose\` once and schedule the task file it writes`,
    );
  await deps.checkTasks?.(document.specs, schedule.file ?? source);
  const idempotencyKeys = new Map(document.specs.map((spec) => [spec.id, `${key}/${spec.id}`]));
  return async () =>
    deps.submit({
      specs: document.specs,
      source,
      idempotencyKeys,
      ...(document.strategy ? { strategy: document.strategy } : {}),
    }).batchId;
}

/** The schedule's tasks: its task file, or its prompt as one task named after the schedule. */
function readWork(deps: ScheduleLaunchDeps, schedule: ScheduleRecord): TaskDocument {
  if (schedule.file !== undefined) return readTaskDocument(schedule.file, deps.taskDefaults);
  return parseTaskDocument(
    { tasks: [{ id: schedule.name, prompt: schedule.prompt ?? "" }] },
    `schedule ${schedule.name}`,
    { ...deps.taskDefaults, baseDir: schedule.dir ?? deps.baseDir },
  );
}
