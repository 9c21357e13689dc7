import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { zodIssues } from "../config/load.ts";
import { badInput, errorMessage, type InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { checkTaskGraph } from "./check-task-graph.ts";
import { resolveTaskSpecs, type TaskDefaults } from "./resolve-task-specs.ts";
import { salvageTaskFile } from "./salvage-task-file.ts";
import { TaskFile } from "./task-file-schema.ts";

/** Reads a YAML or JSON task file into validated specs, or throws listing every problem. */
export function readTaskFile(file: string, defaults: TaskDefaults): TaskSpec[] {
  return readTaskDocument(file, defaults).specs;
}

/** A parsed task document: validated specs plus what else the document said. */
export interface TaskDocument {
  specs: TaskSpec[];
  strategy?: "depth-first" | "breadth-first";
  /** The batch's budget in USD (top-level `budget`). */
  budget?: number;
  /** Task id → idempotency key, for the tasks that have one. */
  idempotencyKeys: Map<string, string>;
  /** Ids of the tasks marked `decompose: true` (split into subtasks before dispatch); absent when none. */
  decompose?: Set<string>;
}

/** Reads a task file into a document; relative dirs resolve against the file's folder. */
export function readTaskDocument(file: string, defaults: Omit<TaskDefaults, "baseDir">): TaskDocument {
  const source = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    throw badInput("bad_input", [
      { source, path: "", message: `cannot read task file: ${(error as Error).message}` },
    ]);
  }
  return parseTaskDocument(parseTaskText(source, text), source, {
    ...defaults,
    baseDir: path.dirname(source),
  });
}

/** Validates a task document (from a file or an API body) into specs, or throws listing every problem. */
export function parseTaskDocument(raw: unknown, source: string, defaults: TaskDefaults): TaskDocument {
  const parsed = TaskFile.safeParse(raw);
  const issues: InputIssue[] = parsed.success ? [] : zodIssues(parsed.error, () => source);
  // A file that failed its schema is still checked as far as it can be: every problem in one pass.
  const file = parsed.success ? parsed.data : salvageTaskFile(raw, parsed.error);
  if (!file) throw badInput("bad_input", issues);
  const specs = resolveTaskSpecs(file, defaults, source, issues);
  for (const issue of checkTaskGraph(specs, source)) issues.push(issue);
  if (issues.length > 0 || !parsed.success) throw badInput("bad_input", dedupeIssues(issues));
  const idempotencyKeys = new Map<string, string>();
  for (const task of file.tasks) if (task.idempotencyKey) idempotencyKeys.set(task.id, task.idempotencyKey);
  const decompose = new Set(file.tasks.filter((task) => task.decompose).map((task) => task.id));
  return {
    specs,
    ...(file.strategy ? { strategy: file.strategy } : {}),
    ...(file.budget !== undefined ? { budget: file.budget } : {}),
    idempotencyKeys,
    ...(decompose.size > 0 ? { decompose } : {}),
  };
}

/** Every problem once (the schema and a later check may both find it), in the order of the tasks. */
function dedupeIssues(issues: readonly InputIssue[]): InputIssue[] {
  const seen = new Set<string>();
  const taskIndex = (issue: InputIssue) => Number(/^tasks\[(\d+)\]/.exec(issue.path)?.[1] ?? -1);
  return issues
    .filter((issue) => {
      const key = `${issue.source}\0${issue.path}\0${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => taskIndex(a) - taskIndex(b));
}

/**
 * How many times anchored YAML values may be reused (`*name`), nested reuses multiplied.
 * Generous for hand-written files; refuses "billion laughs" files before they expand.
 */
export const maxYamlAliasUses = 1000;

function parseTaskText(source: string, text: string): unknown {
  if (source.endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw badInput("bad_input", [
        { source, path: "", message: `not valid JSON: ${(error as Error).message}` },
      ]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw badInput(
      "bad_input",
      doc.errors.map((error) => ({
        source,
        path: error.linePos ? `line ${error.linePos[0].line}` : "",
        message: error.message.split("\n")[0] ?? error.message,
      })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: maxYamlAliasUses });
  } catch (error) {
    const message = /excessive alias count/i.test(errorMessage(error))
      ? `YAML aliases expand too far (more than ${maxYamlAliasUses} uses of anchored values, as in a "billion laughs" file); write the values out or put shared fields in "defaults"`
      : `not valid YAML: ${errorMessage(error)}`;
    throw badInput("bad_input", [{ source, path: "", message }]);
  }
}
