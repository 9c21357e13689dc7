import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { zodIssues } from "../config/load.ts";
import { badInput, type InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { checkTaskGraph } from "./check-task-graph.ts";
import { resolveTaskSpecs, type TaskDefaults } from "./resolve-task-specs.ts";
import { TaskFile } from "./task-file-schema.ts";

/** Reads a YAML or JSON task file into validated specs, or throws listing every problem. */
export function readTaskFile(file: string, defaults: TaskDefaults): TaskSpec[] {
  const source = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    throw badInput("bad_input", [
      { source, path: "", message: `cannot read task file: ${(error as Error).message}` },
    ]);
  }
  const raw = parseTaskText(source, text);
  const parsed = TaskFile.safeParse(raw);
  if (!parsed.success)
    throw badInput(
      "bad_input",
      zodIssues(parsed.error, () => source),
    );
  const issues: InputIssue[] = [];
  const specs = resolveTaskSpecs(parsed.data, { ...defaults, baseDir: path.dirname(source) }, source, issues);
  issues.push(...checkTaskGraph(specs, source));
  if (issues.length > 0) throw badInput("bad_input", issues);
  return specs;
}

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
  return doc.toJS();
}
