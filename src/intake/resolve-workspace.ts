import path from "node:path";
import type { InputIssue } from "../core/errors.ts";
import type { TaskWorkspace } from "../core/task-spec.ts";
import { redactSecrets } from "../security/secret-scan.ts";
import type { TaskEntry, TaskFile } from "./task-file-schema.ts";
import { taskFootprint } from "./task-footprint.ts";

type SharedFields = NonNullable<TaskFile["defaults"]>;

const workspaceOnly = ["base", "deliver", "target", "gate", "touches"] as const;

/**
 * A task's workspace (`repo:` and the fields that go with it), resolved against the task file's
 * folder; `dir` defaults to the repository and must lie inside it. Undefined without `repo`.
 * Whether the repository and base exist is checked later (that takes git): see checkTaskRepos.
 */
export function resolveTaskWorkspace(input: {
  task: TaskEntry;
  shared: SharedFields;
  baseDir: string;
  /** The task's folder as resolved (absolute); undefined when the task sets none. */
  dir: string | undefined;
  files: readonly string[];
  at: (field: string) => string;
  source: string;
  issues: InputIssue[];
}): TaskWorkspace | undefined {
  const { task, shared, at, source, issues } = input;
  const field = (name: keyof SharedFields) => (task[name] !== undefined ? at(name) : `defaults.${name}`);
  const repoValue = task.repo ?? shared.repo;
  if (repoValue === undefined) {
    for (const name of workspaceOnly)
      if (task[name] !== undefined || shared[name] !== undefined)
        issues.push({
          source,
          path: field(name),
          message: `${name} needs repo (a git repository) on the task`,
        });
    return undefined;
  }
  const repo = path.resolve(input.baseDir, repoValue);
  const dir = input.dir ?? repo;
  const subdir = path.relative(repo, dir);
  if (subdir.startsWith("..") || path.isAbsolute(subdir)) {
    issues.push({
      source,
      path: task.dir !== undefined ? at("dir") : "defaults.dir",
      message: `must be inside repo ${redactSecrets(repo)}, the task runs in a worktree of it`,
    });
  }
  const deliver = task.deliver ?? shared.deliver ?? "branch";
  const gate = task.gate ?? shared.gate;
  if (gate !== undefined && deliver !== "merge")
    issues.push({ source, path: field("gate"), message: "gate applies only with deliver: merge" });
  const base = task.base ?? shared.base;
  const target = task.target ?? shared.target;
  return {
    repo,
    subdir: subdir.split(path.sep).join("/"),
    ...(base ? { base } : {}),
    deliver,
    touches: taskFootprint({
      repo,
      dir,
      prompt: task.prompt,
      files: input.files,
      touches: task.touches ?? shared.touches ?? [],
    }),
    ...(target ? { target } : {}),
    ...(gate ? { gate } : {}),
  };
}
