import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse } from "yaml";
import type { DroverConfig } from "../../config/schema.ts";
import { DroverError, type InputIssue } from "../../core/errors.ts";
import { renderTree } from "../../decompose/render-tree.ts";
import type { TaskNode } from "../../decompose/task-tree.ts";
import { parseTaskDocument } from "../../intake/read-task-file.ts";
import type { PromptStreams } from "./confirm.ts";

/**
 * Checks task-file text as `drover run` will read it from `dir` (schema, folders, ids, cycles,
 * secrets); returns every problem, none when it would load.
 */
export function checkTaskFileText(
  yaml: string,
  source: string,
  dir: string,
  config: Pick<DroverConfig, "model" | "taskTimeout" | "agent" | "routing">,
): InputIssue[] {
  let raw: unknown;
  try {
    raw = parse(yaml);
  } catch (error) {
    return [{ source, path: "", message: `not valid YAML: ${(error as Error).message}` }];
  }
  try {
    parseTaskDocument(raw, source, {
      model: config.model,
      timeoutMs: config.taskTimeout,
      tiers: config.routing.tiers,
      ...(config.agent ? { agent: config.agent } : {}),
      baseDir: dir,
    });
    return [];
  } catch (error) {
    if (error instanceof DroverError && error.issues.length > 0) return error.issues;
    throw error;
  }
}

/** How many tasks a (checked) task file lists. */
export function taskCount(yaml: string): number {
  const tasks = (parse(yaml) as { tasks?: unknown }).tasks;
  return Array.isArray(tasks) ? tasks.length : 0;
}

export interface ReviewInput {
  tree: TaskNode;
  yaml: string;
  check(yaml: string): InputIssue[];
  /** `$VISUAL`/`$EDITOR`: a command, given the file as its last argument. */
  editor: string;
  env: NodeJS.ProcessEnv;
  streams: PromptStreams;
  /** What is asked before `[Y/n/edit]` ("Write tasks.yaml?"). */
  question: string;
}

/**
 * On a terminal: shows the tree and asks Y/n/edit. `edit` opens the editor on the YAML, then checks
 * it again (a file that would not load is shown with its problems and offered again). Resolves
 * with the YAML to write, or undefined when the person says no.
 */
export async function reviewTaskFile(input: ReviewInput): Promise<string | undefined> {
  const { output } = input.streams;
  let yaml = input.yaml;
  let problems: InputIssue[] = [];
  output.write(`\n${renderTree(input.tree)}\n\n`);
  for (;;) {
    if (problems.length > 0) {
      output.write(`The edited file would not load:\n${problems.map(describe).join("\n")}\n`);
    }
    const question =
      problems.length > 0 ? "Edit it again or give up? [edit/n] " : `${input.question} [Y/n/edit] `;
    const answer = (await ask(question, input.streams)).trim().toLowerCase();
    if (answer === "n" || answer === "no") return undefined;
    if (answer === "e" || answer === "edit") {
      yaml = editText(yaml, input.editor, input.env);
      problems = input.check(yaml);
      if (problems.length === 0) output.write(`Edited: ${taskCount(yaml)} task(s).\n`);
      continue;
    }
    if (problems.length === 0 && (answer === "" || answer === "y" || answer === "yes")) return yaml;
  }
}

function describe(issue: InputIssue): string {
  return `  ${issue.path ? `${issue.path}: ` : ""}${issue.message}`;
}

/** Opens the editor on a temporary copy and returns what it holds afterwards. */
function editText(text: string, editor: string, env: NodeJS.ProcessEnv): string {
  const dir = mkdtempSync(path.join(tmpdir(), "drover-decompose-"));
  const file = path.join(dir, "tasks.yaml");
  try {
    writeFileSync(file, text);
    // Through the shell, so EDITOR may carry arguments (`code --wait`).
    const run = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit", env });
    if (run.error || run.status !== 0)
      throw new DroverError(
        "bad_input",
        `the editor (${editor}) failed: ${run.error?.message ?? `exit ${run.status}`}`,
      );
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ask(question: string, streams: PromptStreams): Promise<string> {
  const prompt = createInterface({ input: streams.input, output: streams.output });
  return new Promise<string>((resolve) => {
    // Ctrl-C or Ctrl-D at the question means no.
    prompt.on("SIGINT", () => prompt.close());
    prompt.once("close", () => resolve("n"));
    prompt.question(question, (answer) => {
      resolve(answer);
      prompt.close();
    });
  });
}
