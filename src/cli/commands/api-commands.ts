import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { DroverError } from "../../core/errors.ts";
import type { DroverEvent } from "../../core/events.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import type { SubmitResult, SupervisorStatus } from "../../supervisor/supervisor.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { describeEvent } from "../render/describe-event.ts";
import { followEvents } from "../render/follow-events.ts";

interface CommonFlags {
  json?: boolean;
  config?: string;
  stateDir?: string;
}

/** `submit`, `status`, `logs`, `cancel`, `retry`: clients of the daemon's HTTP API. */
export function registerApiCommands(program: Command, context: CliContext): void {
  const common = (command: Command) =>
    command
      .option("--json", "print JSON")
      .option("--config <file>", "config file (default: ./drover.json)")
      .option("--state-dir <dir>", "state directory (default: .drover)");
  const client = (flags: CommonFlags) => DaemonClient.connect(loaded(flags, context).stateDir);
  const print = (flags: CommonFlags, value: unknown, text: string) =>
    context.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${text}\n`);

  common(
    program
      .command("submit")
      .description("Submit a task file to the daemon")
      .argument("<file>", "task file (YAML or JSON)"),
  ).action(async (file: string, flags: CommonFlags) => {
    const { config } = loaded(flags, context);
    const document = readTaskDocument(path.resolve(context.cwd, file), {
      model: config.model,
      timeoutMs: config.taskTimeout,
      ...(config.agent ? { agent: config.agent } : {}),
    });
    const body = {
      source: path.resolve(context.cwd, file),
      ...(document.strategy ? { strategy: document.strategy } : {}),
      tasks: document.specs.map((spec) => ({
        id: spec.id,
        prompt: spec.prompt,
        title: spec.title,
        dir: spec.dir,
        model: spec.model,
        ...(spec.agent ? { agent: spec.agent } : {}),
        files: spec.files,
        timeout: `${spec.timeoutMs}ms`,
        dependsOn: spec.dependsOn,
        ...(document.idempotencyKeys.has(spec.id)
          ? { idempotencyKey: document.idempotencyKeys.get(spec.id) }
          : {}),
      })),
    };
    const result = await client(flags).request<SubmitResult>("POST", "/v1/batches", body);
    const existing = result.existing.map(
      (e) => `${e.taskId} (already submitted as ${e.batchId}/${e.existingTaskId})`,
    );
    print(
      flags,
      result,
      `batch ${result.batchId}: ${result.created.length} task(s) queued${existing.length ? `; skipped ${existing.join(", ")}` : ""}`,
    );
  });

  common(
    program
      .command("status")
      .description("Show the daemon's slots (used/free and why), tasks by state and recent batches"),
  ).action(async (flags: CommonFlags) => {
    const api = client(flags);
    const status = await api.request<SupervisorStatus>("GET", "/v1/status");
    const { batches } = await api.request<{
      batches: { id: string; source: string; createdAt: number; finishedAt?: number }[];
    }>("GET", "/v1/batches?limit=10");
    const c = status.capacity;
    const states = Object.entries(status.byState)
      .map(([state, n]) => `${n} ${state}`)
      .join(", ");
    const lines = [
      `daemon ${api.url}`,
      `slots: ${c.used} used, ${c.free} free of ${c.slots} (limited by ${status.why})`,
      `tasks: ${states || "none unfinished"}`,
      ...status.providerLimits.map(
        (l) => `rate-limited: ${l.key} capped at ${l.limit} until ${new Date(l.until).toISOString()}`,
      ),
      "batches:",
      ...batches.map((b) => `  ${b.id}  ${b.finishedAt ? "finished" : "running "}  ${b.source}`),
    ];
    print(flags, { ...status, batches }, lines.join("\n"));
  });

  common(
    program
      .command("logs")
      .description("Show events (of one batch, or all); -f follows them live")
      .argument("[batch]", "batch id")
      .option("-f, --follow", "keep following new events (SSE, resumes with Last-Event-ID)"),
  ).action(async (batch: string | undefined, flags: CommonFlags & { follow?: boolean }) => {
    const api = client(flags);
    const write = (event: DroverEvent) =>
      context.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${describeEvent(event)}\n`);
    if (flags.follow) {
      const controller = new AbortController();
      const remove = context.onSignals(() => controller.abort());
      await followEvents(api, {
        ...(batch ? { batchId: batch } : {}),
        signal: controller.signal,
        onEvent: write,
      });
      remove();
      return;
    }
    const query = new URLSearchParams({ limit: "10000", ...(batch ? { batch } : {}) });
    const { events } = await api.request<{ events: DroverEvent[] }>("GET", `/v1/events?${query}`);
    for (const event of events) write(event);
  });

  common(
    program
      .command("cancel")
      .description("Cancel a batch, or one task (BATCH/TASK)")
      .argument("<id>", "BATCH or BATCH/TASK"),
  ).action(async (id: string, flags: CommonFlags) => {
    const [batchId, taskId] = splitId(id);
    const route = taskId
      ? `/v1/batches/${batchId}/tasks/${encodeURIComponent(taskId)}/cancel`
      : `/v1/batches/${batchId}/cancel`;
    await client(flags).request("POST", route);
    print(flags, { ok: true, batchId, taskId }, `cancelling ${id}`);
  });

  common(
    program
      .command("retry")
      .description("Retry a failed, blocked, timed-out or cancelled task")
      .argument("<id>", "BATCH/TASK"),
  ).action(async (id: string, flags: CommonFlags) => {
    const [batchId, taskId] = splitId(id);
    if (!taskId) throw new DroverError("bad_input", `retry needs BATCH/TASK, got "${id}"`);
    await client(flags).request("POST", `/v1/batches/${batchId}/tasks/${encodeURIComponent(taskId)}/retry`);
    print(flags, { ok: true, batchId, taskId }, `${id} queued again`);
  });
}

function loaded(flags: CommonFlags, context: CliContext) {
  return loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: { stateDir: flags.stateDir },
  });
}

function splitId(id: string): [string, string | undefined] {
  const slash = id.indexOf("/");
  return slash < 0 ? [id, undefined] : [id.slice(0, slash), id.slice(slash + 1)];
}
