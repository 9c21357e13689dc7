import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DecomposeSettings, decomposeModel } from "../../config/decompose-settings.ts";
import { type LoadedConfig, loadConfig } from "../../config/load.ts";
import { badInput, type InputIssue } from "../../core/errors.ts";
import { checkDecomposeModel, createDecomposer } from "../../decompose/decomposer.ts";
import type { TaskNode } from "../../decompose/task-tree.ts";
import { taskFileObject, taskFileYaml } from "../../decompose/tree-to-task-file.ts";
import type { AttemptStop } from "../../engines/contract.ts";
import { taskIdPattern } from "../../intake/task-file-schema.ts";
import { checkWritableFile } from "../check-writable-file.ts";
import type { CliContext } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { checkTaskFileText, reviewTaskFile, taskCount } from "./decompose-review.ts";

interface DecomposeFlags {
  depth?: string;
  max?: string;
  model?: string;
  id: string;
  dir?: string;
  repo?: string;
  yes?: boolean;
  out?: string;
  json?: boolean;
  config?: string;
  stateDir?: string;
}

export function registerDecomposeCommand(program: Command, context: CliContext): void {
  program
    .command("decompose")
    .description(
      "Split a brief into a task file of subtasks with dependencies (atomic or composite, asked of the decomposition model)",
    )
    .argument("<brief>", 'what to do: a sentence, a paragraph or an outline ("-" reads it from stdin)')
    .option("--depth <n>", "how many levels deep to split (default: decompose.depth, 3)")
    .option("--max <n>", "most subtasks per split (default: decompose.max, 5)")
    .option("-m, --model <provider/model>", "the model that classifies and splits (default: decompose.model)")
    .option("--id <id>", "id of the brief; its subtasks are dotted under it", "t1")
    .option("--dir <path>", "working directory of every task (written to the file's defaults)")
    .option("--repo <path>", "git repository of every task (written to defaults; keeps the model's touches)")
    .option("-y, --yes", "do not ask: write the task file at once")
    .option("-o, --out <file>", "write the task file here (default: print it)")
    .option("--json", "print the tree and the task file as JSON")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "state directory (default: .drover)")
    .action(async (brief: string, flags: DecomposeFlags) => {
      context.setExitCode(await decomposeCommand(brief, flags, context));
    });
}

async function decomposeCommand(
  briefArg: string,
  flags: DecomposeFlags,
  context: CliContext,
): Promise<number> {
  const loaded = loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      stateDir: flags.stateDir,
      "decompose.depth": settingFlag(flags.depth, "--depth", DecomposeSettings.shape.depth),
      "decompose.max": settingFlag(flags.max, "--max", DecomposeSettings.shape.max),
      "decompose.model": flags.model,
    },
  });
  const brief = (briefArg === "-" ? readFileSync(0, "utf8") : briefArg).trim();
  const issues: InputIssue[] = [];
  if (!brief) issues.push({ source: "<brief>", path: "", message: "the brief is empty" });
  if (!taskIdPattern.test(flags.id))
    issues.push({ source: "--id", path: "", message: "must be letters, digits, _ or -, optionally dotted" });
  if (issues.length > 0) throw badInput("bad_input", issues);
  const outFile = flags.out ? path.resolve(context.cwd, flags.out) : undefined;
  if (outFile) checkWritableFile(outFile, "-o/--out");
  // Paths in the file are relative to where it goes (or to here, when it is printed).
  const fileDir = outFile ? path.dirname(outFile) : context.cwd;
  const relative = (value: string) => path.relative(fileDir, path.resolve(context.cwd, value)) || ".";
  const defaults = {
    ...(flags.dir ? { dir: relative(flags.dir) } : {}),
    ...(flags.repo ? { repo: relative(flags.repo) } : {}),
  };
  const fileOptions = { defaults, withTouches: flags.repo !== undefined };
  const check = (yaml: string) => checkTaskFileText(yaml, outFile ?? "the task file", fileDir, loaded.config);
  // Bad --dir or --repo is found before any model call.
  const early = check(`${JSON.stringify({ defaults, tasks: [{ id: flags.id, prompt: "check" }] })}\n`);
  if (early.length > 0) throw badInput("bad_input", early);

  const modelSource = flags.model ? "--model" : loaded.config.decompose.model ? "decompose.model" : "model";
  const tree = await decomposeWithEngine(loaded, { id: flags.id, prompt: brief }, modelSource, context);
  if (tree === "interrupted") return exitCodes.interrupted;
  let yaml = taskFileYaml(tree, fileOptions);
  const problems = check(yaml);
  if (problems.length > 0) throw badInput("bad_input", problems);

  const interactive = !flags.yes && !flags.json && process.stdin.isTTY === true && context.stdout.isTTY;
  if (interactive) {
    const reviewed = await reviewTaskFile({
      tree,
      yaml,
      check,
      editor: context.env.VISUAL || context.env.EDITOR || "vi",
      env: context.env,
      streams: { input: process.stdin, output: context.stdout },
      question: outFile ? `Write ${path.relative(context.cwd, outFile) || outFile}?` : "Use these tasks?",
    });
    if (reviewed === undefined) {
      context.stderr.write("drover: nothing written\n");
      return exitCodes.notAllSucceeded;
    }
    yaml = reviewed;
  }
  if (outFile) writeFileSync(outFile, yaml);
  if (flags.json) {
    context.stdout.write(
      `${JSON.stringify({ type: "decompose.result", tree, taskFile: taskFileObject(tree, fileOptions), ...(outFile ? { file: outFile } : {}) })}\n`,
    );
  } else if (outFile) {
    const shown = path.relative(context.cwd, outFile) || outFile;
    const count = taskCount(yaml);
    context.stdout.write(
      `drover: wrote ${count} task${count === 1 ? "" : "s"} to ${shown}; run them with: drover run ${shown}\n`,
    );
  } else {
    context.stdout.write(yaml);
  }
  return exitCodes.ok;
}

/**
 * Starts OpenCode (and the scripted model) as `drover run` does, checks the decomposition model,
 * splits the brief with one progress line per classification on stderr, and stops it all again.
 */
async function decomposeWithEngine(
  loaded: LoadedConfig,
  brief: { id: string; prompt: string },
  modelSource: string,
  context: CliContext,
): Promise<TaskNode | "interrupted"> {
  const { config } = loaded;
  const model = decomposeModel(config);
  const say = (line: string) => context.stderr.write(`drover: ${line}\n`);
  const controller = new AbortController();
  const removeSignals = context.onSignals((signal) => {
    const stop: AttemptStop = { kind: "cancel", message: `interrupted by ${signal}` };
    controller.abort(stop);
  });
  const closers: (() => Promise<void> | void)[] = [];
  try {
    say(
      `starting OpenCode to ask ${model} (depth ${config.decompose.depth}, at most ${config.decompose.max} subtasks per split)`,
    );
    const { startLocalEngines } = await import("../../app-engines.ts");
    const { engines } = await startLocalEngines({
      loaded,
      env: context.env,
      models: [model],
      report: (event) => {
        if (event.type === "warning") say(`warning: ${event.message}`);
      },
      closers,
    });
    const engine = engines.default;
    await checkDecomposeModel(engine, model, { source: modelSource, path: "", stateDir: loaded.stateDir });
    const decompose = createDecomposer({
      engine,
      model,
      settings: config.decompose,
      stateDir: loaded.stateDir,
      onProgress: say,
      signal: controller.signal,
    });
    return await decompose(brief);
  } catch (error) {
    if (controller.signal.aborted) return "interrupted";
    throw error;
  } finally {
    removeSignals();
    for (const close of closers.reverse()) await close();
  }
}

/** A whole-number flag checked against its config field, so the error names the flag. */
function settingFlag(
  value: string | undefined,
  flag: string,
  field: (typeof DecomposeSettings.shape)["depth" | "max"],
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d+$/.test(value) ? field.safeParse(Number(value)) : undefined;
  if (parsed?.success) return parsed.data;
  const why = parsed ? (parsed.error.issues[0]?.message ?? "is out of range") : "is not a whole number";
  throw badInput("bad_input", [{ source: flag, path: "", message: `"${value}": ${why}` }]);
}
