import { DroverError } from "../../core/errors.ts";

/** A batch, or one task of it, as typed on the command line (`BATCH` or `BATCH/TASK`). */
export interface TaskRef {
  batchId: string;
  taskId?: string;
}

export function parseTaskRef(text: string): TaskRef {
  const slash = text.indexOf("/");
  const batchId = slash < 0 ? text : text.slice(0, slash);
  const taskId = slash < 0 ? undefined : text.slice(slash + 1);
  if (!batchId || taskId === "") {
    throw new DroverError("bad_input", `"${text}" is not BATCH or BATCH/TASK`);
  }
  return { batchId, ...(taskId ? { taskId } : {}) };
}

/** Parses `BATCH/TASK`, failing with a message that names the command when the task is missing. */
export function parseTaskKey(text: string, command: string): { batchId: string; taskId: string } {
  const ref = parseTaskRef(text);
  if (!ref.taskId) throw new DroverError("bad_input", `${command} needs BATCH/TASK, got "${text}"`);
  return { batchId: ref.batchId, taskId: ref.taskId };
}
