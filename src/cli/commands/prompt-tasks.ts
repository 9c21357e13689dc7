import { zodIssues } from "../../config/load.ts";
import { badInput, type InputIssue } from "../../core/errors.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import { resolveTaskSpecs, type TaskDefaults } from "../../intake/resolve-task-specs.ts";
import { TaskFile } from "../../intake/task-file-schema.ts";

/**
 * Turns `-p` prompts into task specs `p1`, `p2`, … working in `dir` (default: `defaults.baseDir`),
 * checked like a task file; throws listing every problem.
 */
export function promptTaskSpecs(
  prompts: readonly string[],
  options: { dir?: string; allowSecrets?: boolean },
  defaults: TaskDefaults,
): TaskSpec[] {
  if (prompts.length === 0) {
    throw badInput("bad_input", [{ source: "-p", path: "", message: "give at least one prompt" }]);
  }
  const raw = {
    ...(options.allowSecrets ? { defaults: { allowSecrets: true } } : {}),
    tasks: prompts.map((prompt, i) => ({
      id: `p${i + 1}`,
      prompt,
      ...(options.dir ? { dir: options.dir } : {}),
    })),
  };
  const parsed = TaskFile.safeParse(raw);
  if (!parsed.success)
    throw badInput(
      "bad_input",
      zodIssues(parsed.error, () => "-p"),
    );
  const issues: InputIssue[] = [];
  const specs = resolveTaskSpecs(parsed.data, defaults, "-p", issues);
  if (issues.length > 0) throw badInput("bad_input", issues);
  return specs;
}
