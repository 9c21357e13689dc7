import type { z } from "zod";
import { TaskFile } from "./task-file-schema.ts";

/**
 * What can still be checked of a task file that failed its schema: the same document with every
 * field that had a problem (and every unknown field) taken out, and a placeholder where a
 * required field is missing. Its dirs, files, ids and dependencies are then checked like a good
 * file's, so one pass reports every problem instead of the schema's alone. Undefined when the
 * document's shape is too broken to salvage (not an object, `tasks` not a list).
 */
export function salvageTaskFile(raw: unknown, error: z.ZodError): TaskFile | undefined {
  if (!isObject(raw) || !Array.isArray(raw.tasks)) return undefined;
  const copy: Record<string, unknown> = {
    ...raw,
    tasks: raw.tasks.map((task) => (isObject(task) ? { ...task } : {})),
  };
  const tasks = copy.tasks as Record<string, unknown>[];
  for (const issue of error.issues) {
    const [top, second, third] = issue.path;
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    if (top === "tasks" && typeof second === "number") {
      const task = tasks[second];
      if (!task) continue;
      if (typeof third === "string") delete task[third];
      for (const key of keys) delete task[key];
    } else if (top === "defaults" && isObject(copy.defaults)) {
      const defaults = { ...copy.defaults };
      if (typeof second === "string") delete defaults[second];
      for (const key of keys) delete defaults[key];
      copy.defaults = defaults;
    } else if (top === "strategy") {
      delete copy.strategy;
    } else if (top === undefined) {
      for (const key of keys) delete copy[key];
    }
  }
  tasks.forEach((task, index) => {
    // Placeholders stand in for what is missing, so the rest of the task can still be checked.
    if (typeof task.id !== "string") task.id = `task-${index + 1}-without-id`;
    if (typeof task.prompt !== "string") task.prompt = "(missing)";
  });
  const salvaged = TaskFile.safeParse(copy);
  return salvaged.success ? salvaged.data : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
