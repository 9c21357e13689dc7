import path from "node:path";
import type { Command } from "commander";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config/load.ts";
import { badInput } from "../../core/errors.ts";
import { decompositionModels } from "../../decompose/decompose-marked-tasks.ts";
import type { AttemptStop } from "../../engines/contract.ts";
import { buildBatchResults } from "../../supervisor/batch-results.ts";
import { dispatchBatch } from "../../supervisor/dispatch-batch.ts";
import { checkWritableFile } from "../check-writable-file.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";
import { renderSummary } from "../render/summary-table.ts";
import { TtyProgress } from "../render/tty-progress.ts";
import { writeResultsFile } from "../write-results-file.ts";
import { findResumableBatch, readBatchForResume, setBatchBudget } from "./resume.ts";
import { decomposeForRun } from "./run-decompose.ts";
import { type ReadTasks, readTasks } from "./run-tasks.ts";
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
  resume?: boolean;
  /** Set by `drover resume BATCH`: finish this batch instead of reading tasks. */
  resumeBatch?: string;
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
    .option(
      "--resume",
      "finish this file's unfinished batch whose drover run died, instead of starting a new one",
    )
    .option("--allow-secrets", "accept -p prompts that look like they contain a secret (refused by default)")
    .option("--json", "print one JSON event per line instead of the live view")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "state directory (default: .drover)")
    .action(async (file: string | undefined, flags: RunFlags) => {
      context.setExitCode(await runCommand(file, flags, context));
    });
  program
    .command("resume")
    .description(
      "Finish a batch whose `drover run` died (kill -9, lost machine): follow live sessions, retry the rest",
    )
    .argument("<batch>", "the batch id (see `drover status` or `drover ls`)")
    .option("--budget <usd>", "give the batch this budget (USD) first: tasks parked by the budget go on")
    .option("-o, --out <file>", "where to write the results", "results.json")
    .option("--json", "print one JSON event per line instead of the live view")
    .option("--config <file>", "config file (default: drover.json of this project)")
    .option("--state-dir <dir>", "state directory (default: .drover of this project)")
    .action(async (batch: string, flags: RunFlags & { budget?: string }) => {
      if (flags.budget !== undefined) setBatchBudget(batch, flags.budget, flags, context);
      context.setExitCode(
        await runCommand(undefined, { ...flags, resumeBatch: batch, local: true }, context),
      );
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
    tiers: config.routing.tiers,
    ...(config.agent ? { agent: config.agent } : {}),
  };
  const read: ReadTasks = flags.resumeBatch
    ? readBatchForResume(loaded, flags.resumeBatch)
    : readTasks(file, flags, defaults, context.cwd);
  const { source, strategy, idempotencyKeys } = read;
  let { specs } = read;
  const resumable = file && !flags.resumeBatch ? findResumableBatch(loaded, source) : undefined;
  if (flags.resume && !resumable) {
    throw badInput("bad_input", [
      { source: "--resume", path: "", message: `no unfinished batch of ${source} whose drover run died` },
    ]);
  }
  const resumeBatch = flags.resumeBatch ?? (flags.resume ? resumable : undefined);
  if (resumable && !flags.resume) {
    context.stderr.write(
      `drover: batch ${resumable} of this file did not finish (its drover run is gone); \`drover run ${file} --resume\` or \`drover resume ${resumable}\` finishes it. Starting a new batch.\n`,
    );
  }
  // Checked before any work: a results path that cannot be written must not cost the batch.
  const outFile = path.resolve(context.cwd, flags.out ?? "results.json");
  checkWritableFile(outFile, "-o/--out");

  const json = flags.json === true || !context.stdout.isTTY;
  const progress = json ? undefined : new TtyProgress(context.stdout);
  const unsubscribe = context.bus.subscribe(
    progress ? (event) => progress.handle(event) : jsonLinesWriter((line) => context.stdout.write(line)),
  );
  // Tasks marked `decompose: true` show as their subtasks, once they are known.
  progress?.addTasks(specs.filter((spec) => !read.decompose?.has(spec.id)).map((spec) => spec.id));
  const daemon = flags.local || resumeBatch ? undefined : DaemonClient.find(loaded.stateDir);
  if (daemon) {
    progress?.start();
    try {
      return await runViaDaemon(
        {
          daemon,
          specs,
          source,
          ...(strategy ? { strategy } : {}),
          ...(read.budget !== undefined ? { budget: read.budget } : {}),
          idempotencyKeys,
          ...(read.decompose ? { decompose: read.decompose } : {}),
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

  const models = [...new Set([...specs.map((spec) => spec.model), ...decompositionModels(read, config)])];
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    // Tasks that all work in repositories (their own servers) or on other engines need no default servers.
    const defaultServers = specs.every(
      (spec) => spec.workspace || (spec.engine && spec.engine !== "opencode"),
    )
      ? "on-demand"
      : "now";
    app = await createApp({ loaded, env: context.env, models, bus: context.bus, defaultServers });
    if (controller.signal.aborted) return exitCodes.interrupted;
    if (read.decompose) {
      const split = await decomposeForRun({
        specs,
        marked: read.decompose,
        engine: app.engine,
        config,
        stateDir: loaded.stateDir,
        source,
        progress,
        signal: controller.signal,
        context,
      });
      if (!split) return exitCodes.interrupted;
      specs = split;
    }
    progress?.note(`drover: ${specs.length} tasks, up to ${config.capacity.maxWorkers} at once`);
    await app.supervisor.start();
    const { supervisor } = app;
    const onBatch = (batchId: string) => {
      const cancel = () => supervisor.cancelBatch(batchId, (controller.signal.reason as AttemptStop).message);
      if (controller.signal.aborted) cancel();
      else controller.signal.addEventListener("abort", cancel, { once: true });
    };
    const results = resumeBatch
      ? await resumeInProcess(app, resumeBatch, onBatch)
      : await dispatchBatch({
          store: app.store,
          engine: app.engine,
          supervisor: app.supervisor,
          specs,
          source,
          ...(strategy ? { strategy } : {}),
          ...(read.budget !== undefined ? { budget: read.budget } : {}),
          onBatch,
        });
    writeResultsFile(outFile, results);
    progress?.stop();
    const summary = renderSummary(results, outFile);
    if (json) {
      context.stdout.write(`${JSON.stringify({ type: "batch.results", file: outFile, ...results.batch })}\n`);
      context.stderr.write(`${summary}\n`);
    } else {
      context.stdout.write(`\n${summary}\n`);
    }
    const held = results.tasks.filter(
      (task) => task.status === "parked" && task.reason?.startsWith("budget:"),
    );
    if (held.length > 0)
      context.stderr.write(
        `drover: ${held.length} task(s) wait for budget (see \`drover spend\`); \`drover resume ${results.batch.id} --budget USD\` gives the batch a larger budget (task, runner and day caps: \`budget\` in drover.json)\n`,
      );
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

/** Takes the batch over from the `drover run` that died and waits until it ends. */
async function resumeInProcess(
  app: Awaited<ReturnType<typeof createApp>>,
  batchId: string,
  onBatch: (batchId: string) => void,
) {
  await app.supervisor.adoptBatch(batchId);
  onBatch(batchId);
  await app.supervisor.whenBatchDone(batchId);
  return buildBatchResults(app.store, batchId);
}

function intFlag(value: string | undefined, name: string): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw badInput("bad_config", [{ source: name, path: "", message: `"${value}" is not a whole number` }]);
  return Number(value);
}
