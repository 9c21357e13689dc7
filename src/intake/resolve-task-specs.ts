import { statSync } from "node:fs";
import path from "node:path";
import type { InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { TaskFile } from "./task-file-schema.ts";

/** Values that apply when neither the task nor the file's `defaults` set them. */
export interface TaskDefaults {
  model: string;
  agent?: string;
  timeoutMs: number;
  /** Relative `dir` values resolve against this (the task file's folder, or cwd for -p). */
  baseDir: string;
}

/** Applies defaults, resolves paths, and checks that dirs and files exist. */
export function resolveTaskSpecs(
  file: TaskFile,
  defaults: TaskDefaults,
  source: string,
  issues: InputIssue[],
): TaskSpec[] {
  const shared = file.defaults ?? {};
  return file.tasks.map((task, index) => {
    const at = (field: string) => `tasks[${index}].${field}`;
    const dirField = task.dir !== undefined ? at("dir") : "defaults.dir";
    const dir = path.resolve(defaults.baseDir, task.dir ?? shared.dir ?? ".");
    if (!isDirectory(dir))
      issues.push({ source, path: dirField, message: `directory does not exist: ${dir}` });
    const files = (task.files ?? shared.files ?? []).map((file, fileIndex) => {
      const resolved = path.resolve(dir, file);
      if (!isFile(resolved)) {
        const field = task.files ? at(`files[${fileIndex}]`) : `defaults.files[${fileIndex}]`;
        issues.push({ source, path: field, message: `file does not exist: ${resolved}` });
      }
      return resolved;
    });
    const agent = task.agent ?? shared.agent ?? defaults.agent;
    return {
      id: task.id,
      prompt: task.prompt,
      title: task.title ?? task.id,
      dir,
      model: task.model ?? shared.model ?? defaults.model,
      ...(agent ? { agent } : {}),
      files,
      timeoutMs: task.timeout ?? shared.timeout ?? defaults.timeoutMs,
      dependsOn: task.dependsOn ?? [],
    };
  });
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
