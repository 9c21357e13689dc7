import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { createApp } from "../../app.ts";
import { loadConfig, zodIssues } from "../../config/load.ts";
import { badInput } from "../../core/errors.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import type { AttemptStop } from "../../engines/contract.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import { resolveTaskSpecs } from "../../intake/resolve-task-specs.ts";
import { TaskFile } from "../../intake/task-file-schema.ts";
import type { Strategy } from "../../queue/strategy.ts";
import { dispatchBatch } from "../../supervisor/dispatch-batch.ts";
import { checkWritableFile } from "../check-writable-file.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";
import { renderSummary } from "../render/summary-table.ts";
import { TtyProgress } from "../render/tty-progress.ts";
import { runViaDaemon } from "./run-via-daemon.ts";

interface RunFlags {
  prompt?: string[];
  strategy?: string;
  concurrency?: string;
  model?: string;
  agent?: string;
  dir?: string;
  timeout?: string;
  out?: string;
  json?: boolean;
  config?: string;
  stateDir?: string;
  servers?: string;
  allowSecrets?: boolean;
  local?: boolean;
}

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command("run")
    .description("Dispatch a batch of tasks (a YAML/JSON task file, or -p prompts) to OpenCode in parallel")
    .argument("[file]", "task file (YAML or JSON)")
    .option("-p, --prompt <text...>", "run these prompts as tasks p1, p2, … instead of a file")
    .option("-c, --concurrency <n>", "most tasks running at once (capacity.maxWorkers)")
    .option("--strategy <name>", "depth-first (default) or breadth-first")
    .option("-m, --model <provider/model>", "default model for tasks")
    .option("--agent <name>", "default OpenCode agent for tasks")
    .option("--dir <path>", "working directory for -p tasks (default: current directory)")
    .option("--timeout <duration>", 'default time limit per task, e.g. "10m"')
    .option("-o, --out <file>", "where to write the results", "results.json")
    .option("--servers <n>", "how many opencode serve processes to start")
    .option("--local", "run in this process even when a daemon runs for the state dir")
    .option("--allow-secrets", "accept -p prompts that look like they contain a secret (refused by default)")
    .option("--json", "print one JSON event per line instead of the live view")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "state directory (default: .drover)")
    .action(async (file: string | undefined, flags: RunFlags) => {
      context.setExitCode(await runCommand(file, flags, context));
    });
}

async function runCommand(file: string | undefined, flags: RunFlags, context: CliContext): Promise<number> {
  const loaded = loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      "capacity.maxWorkers": intFlag(flags.concurrency, "--concurrency"),
      strategy: flags.strategy,
      model: flags.model,
      agent: flags.agent,
      taskTimeout: flags.timeout,
      stateDir: flags.stateDir,
      "opencode.servers": intFlag(flags.servers, "--servers"),
    },
  });
  const { config } = loaded;
  const defaults = {
    model: config.model,
    timeoutMs: config.taskTimeout,
    ...(config.agent ? { agent: config.agent } : {}),
  };
  const { specs, source, strategy, idempotencyKeys } = readTasks(file, flags, defaults, context.cwd);
  // Checked before any work: a results path that cannot be written must not cost the batch.
  const outFile = path.resolve(context.cwd, flags.out ?? "results.json");
  checkWritableFile(outFile, "-o/--out");

  const json = flags.json === true || !context.stdout.isTTY;
  const progress = json ? undefined : new TtyProgress(context.stdout);
  const unsubscribe = context.bus.subscribe(
    progress ? (event) => progress.handle(event) : jsonLinesWriter((line) => context.stdout.write(line)),
  );
  progress?.addTasks(specs.map((spec) => spec.id));
  const daemon = flags.local ? undefined : DaemonClient.find(loaded.stateDir);
  if (daemon) {
    progress?.start();
    try {
      return await runViaDaemon(
        {
          daemon,
          specs,
          source,
          ...(strategy ? { strategy } : {}),
          idempotencyKeys,
          outFile,
          progress,
          flags,
          ignoredFlags: [
            ...(flags.concurrency !== undefined ? ["--concurrency"] : []),
            ...(flags.servers !== undefined ? ["--servers"] : []),
          ],
        },
        context,
      );
    } finally {
      progress?.stop();
      unsubscribe();
    }
  }
  progress?.note(`drover: ${specs.length} tasks; starting OpenCode and checking models…`);
  progress?.start();

  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) {
      context.stderr.write(`\ndrover: ${signal} again, stopping now\n`);
      context.forceExit(exitCodes.interrupted);
      return;
    }
    interruptedBy = signal;
    progress?.note(`drover: ${signal} received, cancelling…`);
    const stop: AttemptStop = { kind: "cancel", message: `interrupted by ${signal}` };
    controller.abort(stop);
  };
  const removeSignals = context.onSignals(onSignal);

  const models = [...new Set(specs.map((spec) => spec.model))];
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    app = await createApp({ loaded, env: context.env, models, bus: context.bus });
    if (controller.signal.aborted) return exitCodes.interrupted;
    progress?.note(`drover: ${specs.length} tasks, up to ${config.capacity.maxWorkers} at once`);
    await app.supervisor.start();
    const { supervisor } = app;
    const results = await dispatchBatch({
      store: app.store,
      engine: app.engine,
      supervisor: app.supervisor,
      specs,
      source,
      ...(strategy ? { strategy } : {}),
      onBatch: (batchId) => {
        const cancel = () =>
          supervisor.cancelBatch(batchId, (controller.signal.reason as AttemptStop).message);
        if (controller.signal.aborted) cancel();
        else controller.signal.addEventListener("abort", cancel, { once: true });
      },
    });
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
    progress?.stop();
    const summary = renderSummary(results, outFile);
    if (json) {
      context.stdout.write(`${JSON.stringify({ type: "batch.results", file: outFile, ...results.batch })}\n`);
      context.stderr.write(`${summary}\n`);
    } else {
      context.stdout.write(`\n${summary}\n`);
    }
    const failure = app.supervisor.failure;
    if (failure) {
      context.stderr.write(`drover: ${failure.message}\n`);
      return exitCodes.notAllSucceeded;
    }
    if (interruptedBy) return exitCodes.interrupted;
    return results.batch.ok ? exitCodes.ok : exitCodes.notAllSucceeded;
  } finally {
    progress?.stop();
    unsubscribe();
    removeSignals();
    await app?.close();
  }
}

function readTasks(
  file: string | undefined,
  flags: RunFlags,
  defaults: { model: string; timeoutMs: number; agent?: string },
  cwd: string,
): { specs: TaskSpec[]; source: string; strategy?: Strategy; idempotencyKeys?: ReadonlyMap<string, string> } {
  if (file && flags.prompt) {
    throw badInput("bad_input", [
      { source: "command line", path: "", message: "give a task file or -p prompts, not both" },
    ]);
  }
  if (file) {
    const source = path.resolve(cwd, file);
    const document = readTaskDocument(source, defaults);
    return {
      specs: document.specs,
      source,
      ...(document.strategy ? { strategy: document.strategy } : {}),
      idempotencyKeys: document.idempotencyKeys,
    };
  }
  if (!flags.prompt || flags.prompt.length === 0) {
    throw badInput("bad_input", [
      { source: "command line", path: "", message: "nothing to run: give a task file or -p PROMPT" },
    ]);
  }
  const raw = {
    ...(flags.allowSecrets ? { defaults: { allowSecrets: true } } : {}),
    tasks: flags.prompt.map((prompt, i) => ({
      id: `p${i + 1}`,
      prompt,
      ...(flags.dir ? { dir: flags.dir } : {}),
    })),
  };
  const parsed = TaskFile.safeParse(raw);
  if (!parsed.success)
    throw badInput(
      "bad_input",
      zodIssues(parsed.error, () => "-p"),
    );
  const issues: { source: string; path: string; message: string }[] = [];
  const specs = resolveTaskSpecs(parsed.data, { ...defaults, baseDir: cwd }, "-p", issues);
  if (issues.length > 0) throw badInput("bad_input", issues);
  return { specs, source: "-p" };
}

function intFlag(value: string | undefined, name: string): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw badInput("bad_config", [{ source: name, path: "", message: `"${value}" is not a whole number` }]);
  return Number(value);
}
