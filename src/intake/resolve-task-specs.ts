import { statSync } from "node:fs";
import path from "node:path";
import type { InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { secretIssue, type TextToScan } from "../security/secret-issue.ts";
import { findSecret, redactSecrets } from "../security/secret-scan.ts";
import { resolveTaskWorkspace } from "./resolve-workspace.ts";
import type { TaskEntry, TaskFile } from "./task-file-schema.ts";

/** Values that apply when neither the task nor the file's `defaults` set them. */
export interface TaskDefaults {
  model: string;
  agent?: string;
  timeoutMs: number;
  /** routing.tiers: a task's `tier` must name one; its model is the tier's first candidate. */
  tiers?: Readonly<Record<string, readonly { model: string; engine?: string }[]>>;
  /** Relative `dir` values resolve against this (the task file's folder, or cwd for -p). */
  baseDir: string;
}

/**
 * Applies defaults, resolves paths, and checks that dirs and files exist and that no prompt,
 * title or file name looks like it holds a secret (unless `allowSecrets` says so).
 */
export function resolveTaskSpecs(
  file: TaskFile,
  defaults: TaskDefaults,
  source: string,
  issues: InputIssue[],
): TaskSpec[] {
  const shared = file.defaults ?? {};
  issues.push(...secretsInTaskFile(file, source));
  return file.tasks.map((task, index) => {
    const at = (field: string) => `tasks[${index}].${field}`;
    const repoValue = task.repo ?? shared.repo;
    const dirValue = task.dir ?? shared.dir;
    const dirField =
      dirValue === undefined && repoValue !== undefined
        ? task.repo !== undefined
          ? at("repo")
          : "defaults.repo"
        : task.dir !== undefined
          ? at("dir")
          : "defaults.dir";
    const dir = path.resolve(defaults.baseDir, dirValue ?? repoValue ?? ".");
    if (!isDirectory(dir))
      issues.push({ source, path: dirField, message: `directory does not exist: ${redactSecrets(dir)}` });
    const files = (task.files ?? shared.files ?? []).map((file, fileIndex) => {
      const resolved = path.resolve(dir, file);
      if (!isFile(resolved)) {
        const field = task.files ? at(`files[${fileIndex}]`) : `defaults.files[${fileIndex}]`;
        issues.push({ source, path: field, message: `file does not exist: ${redactSecrets(resolved)}` });
      }
      return resolved;
    });
    const workspace = resolveTaskWorkspace({
      task,
      shared,
      baseDir: defaults.baseDir,
      dir: dirValue !== undefined ? dir : undefined,
      files,
      at,
      source,
      issues,
    });
    const agent = task.agent ?? shared.agent ?? defaults.agent;
    const engine = task.engine ?? shared.engine;
    const sandbox = task.sandbox ?? shared.sandbox;
    const tier = task.tier ?? (task.model === undefined ? shared.tier : undefined);
    const tierModel =
      tier === undefined ? undefined : tierFirstModel(tier, task, defaults, at, source, issues);
    return {
      id: task.id,
      prompt: task.prompt,
      title: task.title ?? task.id,
      dir,
      model: tierModel ?? task.model ?? shared.model ?? defaults.model,
      ...(tier !== undefined ? { tier } : {}),
      ...(agent ? { agent } : {}),
      ...(engine ? { engine } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...engineOptions(task, shared),
      files,
      timeoutMs: task.timeout ?? shared.timeout ?? defaults.timeoutMs,
      dependsOn: task.dependsOn ?? [],
      ...(workspace ? { workspace } : {}),
    };
  });
}

/** Secret-looking text in the tasks' ids, titles, prompts and file names, and in `defaults.files`. */
function secretsInTaskFile(file: TaskFile, source: string): InputIssue[] {
  const shared = file.defaults ?? {};
  const texts: TextToScan[] = [];
  if (!shared.allowSecrets)
    for (const [index, name] of (shared.files ?? []).entries())
      texts.push({
        source,
        path: `defaults.files[${index}]`,
        what: `a file name in defaults`,
        text: name,
        override: "set allowSecrets: true in defaults",
      });
  for (const [index, task] of file.tasks.entries())
    if (!(task.allowSecrets ?? shared.allowSecrets)) texts.push(...taskTexts(task, index, source));
  return texts.flatMap((text) => secretIssue(text) ?? []);
}

function taskTexts(task: TaskEntry, index: number, source: string): TextToScan[] {
  // An id that is itself secret-looking must not be echoed in the messages.
  const name = findSecret(task.id) ? `task ${index + 1}` : `task "${task.id}"`;
  const field = (path: string, what: string, text: string): TextToScan => ({
    source,
    path: `tasks[${index}].${path}`,
    what: `${name} ${what}`,
    text,
    // -p prompts have no task file to edit: the flag is the way.
    override:
      source === "-p" ? "pass --allow-secrets" : "set allowSecrets: true on the task (or in defaults)",
  });
  return [
    field("id", "id", task.id),
    ...(task.title !== undefined ? [field("title", "title", task.title)] : []),
    field("prompt", "prompt", task.prompt),
    ...(task.files ?? []).map((name, i) => field(`files[${i}]`, `attached file name ${i + 1}`, name)),
  ];
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

/** The first model of a task's tier; an unknown tier, or a tier beside a model, is an issue. */
function tierFirstModel(
  tier: string,
  task: TaskEntry,
  defaults: TaskDefaults,
  at: (field: string) => string,
  source: string,
  issues: InputIssue[],
): string | undefined {
  const field = task.tier !== undefined ? at("tier") : "defaults.tier";
  if (task.tier !== undefined && task.model !== undefined) {
    issues.push({ source, path: at("tier"), message: "give a model or a tier, not both" });
    return undefined;
  }
  const candidates = defaults.tiers?.[tier];
  if (!candidates) {
    const known = Object.keys(defaults.tiers ?? {});
    issues.push({
      source,
      path: field,
      message: `unknown tier "${tier}" (${known.length > 0 ? `routing.tiers has: ${known.join(", ")}` : "routing.tiers is empty"})`,
    });
    return undefined;
  }
  return candidates[0]?.model;
}

/** The task's `claude:` / `codex:` options, else its defaults'. */
function engineOptions(task: TaskEntry, shared: Partial<TaskEntry>): Pick<TaskSpec, "claude" | "codex"> {
  const claude = task.claude ?? shared.claude;
  const codex = task.codex ?? shared.codex;
  return { ...(claude ? { claude } : {}), ...(codex ? { codex } : {}) };
}
