import type { Command } from "commander";
import { formatDuration, parseDuration } from "../../core/duration.ts";
import { badInput, DroverError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { renderTaskTable } from "../render/task-table.ts";
import { openBatchSource } from "./batch-source.ts";
import { watchBatch } from "./batch-watch.ts";
import { watchForOrphanedBatch } from "./resume.ts";
import { addStateOptions, loadFor, type StateFlags } from "./state-helpers.ts";
import { parseTaskRef } from "./task-ref.ts";

interface WaitFlags extends StateFlags {
  timeout?: string;
}

export function registerWaitCommand(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("wait")
      .description(
        "Wait until a batch ends, then print its tasks; exit 0 when all succeeded, else 1 (also 1 on --timeout)",
      )
      .argument("<batch>", "batch id")
      .option(
        "--timeout <duration>",
        'give up after this long, e.g. "10m" (default: wait as long as it takes)',
      ),
  ).action(async (ref: string, flags: WaitFlags) => {
    const { batchId, taskId } = parseTaskRef(ref);
    if (taskId) throw usage(`wait takes a BATCH, not a task ("${ref}")`);
    const timeoutMs = flags.timeout === undefined ? undefined : duration(flags.timeout);
    const source = openBatchSource(flags, context);
    const controller = new AbortController();
    let interrupted = false;
    const removeSignals = context.onSignals(() => {
      interrupted = true;
      controller.abort();
    });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), timeoutMs);
    let orphaned: string | undefined;
    const stopWatching = watchForOrphanedBatch(loadFor(flags, context), batchId, (message) => {
      orphaned = message;
      controller.abort();
    });
    try {
      const { ended, progress } = await watchBatch(source, { batchId, signal: controller.signal });
      if (!ended) {
        if (interrupted) {
          context.setExitCode(exitCodes.interrupted);
          return;
        }
        if (orphaned) throw new DroverError("conflict", orphaned);
        const left = progress.unfinished();
        throw new DroverError(
          "timeout",
          `timed out after ${formatDuration(timeoutMs ?? 0)} waiting for batch ${batchId}: ` +
            `${left.length} task(s) not finished (${listSome(left.map((task) => `${task.id} ${task.state}`))})`,
        );
      }
      const results = await source.results(batchId);
      context.stdout.write(
        flags.json ? `${JSON.stringify(results)}\n` : `${renderTaskTable(results, results.tasks)}\n`,
      );
      context.setExitCode(results.batch.ok ? exitCodes.ok : exitCodes.notAllSucceeded);
    } finally {
      if (timer) clearTimeout(timer);
      stopWatching();
      removeSignals();
      await source.close();
    }
  });
}

function listSome(items: string[], max = 10): string {
  return items.length <= max
    ? items.join(", ")
    : `${items.slice(0, max).join(", ")}, … ${items.length - max} more`;
}

function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw usage(`--timeout "${text}" is not a duration (e.g. 90, "30s", "10m")`);
  return ms;
}

function usage(message: string) {
  return badInput("bad_input", [{ source: "command line", path: "", message }]);
}
