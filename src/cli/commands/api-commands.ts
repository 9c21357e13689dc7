import path from "node:path";
import type { Command } from "commander";
import { badInput, type DroverError } from "../../core/errors.ts";
import type { TaskSpec, TaskWorkspace } from "../../core/task-spec.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import { BatchResults } from "../../supervisor/batch-results.ts";
import type { SubmitResult } from "../../supervisor/supervisor.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { promptTaskSpecs } from "./prompt-tasks.ts";
import { addStateOptions, loadFor, output, type StateFlags } from "./state-helpers.ts";
import { parseTaskRef } from "./task-ref.ts";

interface SubmitFlags extends StateFlags {
  prompt?: string[];
  dir?: string;
  allowSecrets?: boolean;
}

/** What `retry BATCH` puts back in the queue (blocked tasks come back with the dependency they wait on). */
const retriedStates: ReadonlySet<string> = new Set(["failed", "timed_out", "cancelled"]);

/** `submit`, `cancel`, `retry`: what only the running daemon can do. */
export function registerApiCommands(program: Command, context: CliContext): void {
  const client = (flags: StateFlags) => DaemonClient.connect(loadFor(flags, context).stateDir);

  addStateOptions(
    program
      .command("submit")
      .description("Submit a task file, or -p prompts (tasks p1, p2, …), to the daemon")
      .argument("[file]", "task file (YAML or JSON)")
      .option("-p, --prompt <text...>", "submit these prompts as tasks p1, p2, … instead of a file")
      .option("--dir <path>", "working directory for -p tasks (default: current directory)")
      .option(
        "--allow-secrets",
        "accept -p prompts that look like they contain a secret (refused by default)",
      ),
  ).action(async (file: string | undefined, flags: SubmitFlags) => {
    const body = submitBody(file, flags, context);
    const result = await client(flags).request<SubmitResult>("POST", "/v1/batches", body);
    const existing = result.existing.map(
      (e) => `${e.taskId} (already submitted as ${e.batchId}/${e.existingTaskId})`,
    );
    output(
      context,
      flags,
      result,
      `batch ${result.batchId}: ${result.created.length} task(s) queued${existing.length ? `; skipped ${existing.join(", ")}` : ""}`,
    );
  });

  addStateOptions(
    program
      .command("cancel")
      .description("Cancel a batch, or one task (BATCH/TASK)")
      .argument("<id>", "BATCH or BATCH/TASK"),
  ).action(async (id: string, flags: StateFlags) => {
    const { batchId, taskId } = parseTaskRef(id);
    const route = taskId
      ? `/v1/batches/${encodeURIComponent(batchId)}/tasks/${encodeURIComponent(taskId)}/cancel`
      : `/v1/batches/${encodeURIComponent(batchId)}/cancel`;
    await client(flags).request("POST", route);
    output(context, flags, { ok: true, batchId, taskId }, `cancelling ${id}`);
  });

  addStateOptions(
    program
      .command("retry")
      .description(
        "Run a failed, blocked, timed-out or cancelled task again (BATCH/TASK), or every failed, " +
          "timed-out and cancelled task of a batch (BATCH); the tasks they blocked come back with them",
      )
      .argument("<id>", "BATCH or BATCH/TASK")
      .option(
        "--deliver",
        "Only deliver again the branch of a task whose delivery (push, pull request, merge) failed, without running the agent",
      ),
  ).action(async (id: string, flags: StateFlags & { deliver?: boolean }) => {
    const { batchId, taskId } = parseTaskRef(id);
    const api = client(flags);
    const retry = (task: string) =>
      api.request(
        "POST",
        `/v1/batches/${encodeURIComponent(batchId)}/tasks/${encodeURIComponent(task)}/${flags.deliver ? "deliver" : "retry"}`,
      );
    if (flags.deliver && !taskId) {
      const results = BatchResults.parse(
        await api.request<unknown>("GET", `/v1/batches/${encodeURIComponent(batchId)}`),
      );
      const chosen = results.tasks
        .filter((task) => task.status === "failed" && task.workspace?.delivery?.state === "failed")
        .map((task) => task.id);
      for (const task of chosen) await retry(task);
      output(
        context,
        flags,
        { ok: true, batchId, delivering: chosen },
        chosen.length
          ? `${batchId}: delivering again ${chosen.join(", ")}`
          : `${batchId}: nothing to deliver again (no task whose delivery failed)`,
      );
      return;
    }
    if (flags.deliver && taskId) {
      await retry(taskId);
      output(context, flags, { ok: true, batchId, taskId, delivering: [taskId] }, `${id}: delivering again`);
      return;
    }
    if (taskId) {
      await retry(taskId);
      output(context, flags, { ok: true, batchId, taskId, retried: [taskId] }, `${id} queued again`);
      return;
    }
    const results = BatchResults.parse(
      await api.request<unknown>("GET", `/v1/batches/${encodeURIComponent(batchId)}`),
    );
    const chosen = results.tasks.filter((task) => retriedStates.has(task.status)).map((task) => task.id);
    for (const task of chosen) await retry(task);
    output(
      context,
      flags,
      { ok: true, batchId, retried: chosen },
      chosen.length
        ? `${batchId}: queued again ${chosen.join(", ")}`
        : `${batchId}: nothing to retry (no failed, timed-out or cancelled task)`,
    );
  });
}

/** The `POST /v1/batches` body: the task file's tasks, or the -p prompts, resolved here. */
function submitBody(file: string | undefined, flags: SubmitFlags, context: CliContext) {
  const { config } = loadFor(flags, context);
  const defaults = {
    model: config.model,
    timeoutMs: config.taskTimeout,
    tiers: config.routing.tiers,
    ...(config.agent ? { agent: config.agent } : {}),
  };
  if (file && flags.prompt) throw usage("give a task file or -p prompts, not both");
  if (!file && !flags.prompt) throw usage("nothing to submit: give a task file or -p PROMPT");
  if (!file && flags.prompt) {
    const specs = promptTaskSpecs(
      flags.prompt,
      { ...(flags.dir ? { dir: flags.dir } : {}), ...(flags.allowSecrets ? { allowSecrets: true } : {}) },
      { ...defaults, baseDir: context.cwd },
    );
    return {
      source: "-p",
      ...(flags.allowSecrets ? { defaults: { allowSecrets: true } } : {}),
      tasks: specs.map((spec) => taskBody(spec)),
    };
  }
  if (flags.dir) throw usage("--dir is for -p prompts; a task file sets dir itself");
  const source = path.resolve(context.cwd, file as string);
  const document = readTaskDocument(source, defaults);
  return {
    source,
    ...(document.strategy ? { strategy: document.strategy } : {}),
    tasks: document.specs.map((spec) => ({
      ...taskBody(spec, document.idempotencyKeys.get(spec.id)),
      // The daemon splits marked tasks with its own engine.
      ...(document.decompose?.has(spec.id) ? { decompose: true } : {}),
    })),
  };
}

/** One task as `POST /v1/batches` takes it, already resolved on this side (dirs absolute, defaults applied). */
export function taskBody(spec: TaskSpec, idempotencyKey?: string) {
  return {
    id: spec.id,
    prompt: spec.prompt,
    title: spec.title,
    dir: spec.dir,
    model: spec.model,
    ...(spec.agent ? { agent: spec.agent } : {}),
    ...(spec.engine ? { engine: spec.engine } : {}),
    files: spec.files,
    timeout: `${spec.timeoutMs}ms`,
    dependsOn: spec.dependsOn,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(spec.workspace ? workspaceFields(spec.workspace) : {}),
  };
}

/** A task's workspace as task-file fields (absolute paths, so the daemon resolves them the same). */
function workspaceFields(workspace: TaskWorkspace) {
  return {
    repo: workspace.repo,
    ...(workspace.base ? { base: workspace.base } : {}),
    deliver: workspace.deliver,
    ...(workspace.touches.length ? { touches: workspace.touches } : {}),
    ...(workspace.target ? { target: workspace.target } : {}),
    ...(workspace.gate ? { gate: workspace.gate } : {}),
  };
}

function usage(message: string): DroverError {
  return badInput("bad_input", [{ source: "command line", path: "", message }]);
}
