import type { Command } from "commander";
import { parseDuration } from "../../core/duration.ts";
import { badInput, DroverError } from "../../core/errors.ts";
import type { DroverEvent } from "../../core/events.ts";
import type { CliContext } from "../context.ts";
import { describeEvent } from "../render/describe-event.ts";
import { type BatchSource, openBatchSource, readAllEvents } from "./batch-source.ts";
import { watchBatch } from "./batch-watch.ts";
import { watchForOrphanedBatch } from "./resume.ts";
import { addStateOptions, loadFor, type StateFlags } from "./state-helpers.ts";
import { parseTaskRef } from "./task-ref.ts";

interface LogsFlags extends StateFlags {
  follow?: boolean;
  task?: string;
  tail?: string;
  since?: string;
  /** `--no-progress` sets this to false. */
  progress?: boolean;
}

/** What of the event stream to print. */
interface EventFilter {
  taskId?: string;
  sinceMs?: number;
  progress: boolean;
}

export function registerLogsCommand(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("logs")
      .description(
        "Show the events of a batch (or of all batches); -f follows them live and ends when the batch ends",
      )
      .argument("[batch]", "BATCH, or BATCH/TASK for one task")
      .option("-f, --follow", "keep printing new events until the batch ends (Ctrl-C to stop sooner)")
      .option("--task <id>", "only this task's events")
      .option("--tail <n>", "only the last N stored events (then, with -f, the new ones)")
      .option("--since <when>", 'only events since a duration ago ("10m") or a time (ISO 8601)')
      .option("--no-progress", "leave out attempt.progress events"),
  ).action(async (ref: string | undefined, flags: LogsFlags) => {
    const { batchId, taskId: refTask } = ref ? parseTaskRef(ref) : { batchId: undefined, taskId: undefined };
    if (flags.task && refTask && flags.task !== refTask)
      throw usage(`--task ${flags.task} and ${ref} name different tasks`);
    const taskId = flags.task ?? refTask;
    if (taskId && !batchId) throw usage("--task needs a BATCH (drover logs BATCH --task ID)");
    const tail = flags.tail === undefined ? undefined : wholeNumber(flags.tail, "--tail");
    const filter: EventFilter = {
      ...(taskId ? { taskId } : {}),
      ...(flags.since ? { sinceMs: sinceTime(flags.since, Date.now()) } : {}),
      progress: flags.progress !== false,
    };
    const write = (event: DroverEvent) => {
      if (!shows(filter, event)) return;
      context.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${describeEvent(event)}\n`);
    };
    const printHistory = (events: DroverEvent[]) => {
      const shown = events.filter((event) => shows(filter, event));
      for (const event of tail === undefined ? shown : shown.slice(shown.length - tail)) write(event);
    };

    const source = openBatchSource(flags, context);
    try {
      // A batch or task that does not exist is an error, never an empty listing.
      if (batchId && taskId) await source.task({ batchId, taskId });
      else if (batchId) await source.results(batchId);
      if (!flags.follow) {
        printHistory(await readAllEvents(source, batchId));
        return;
      }
      const controller = new AbortController();
      const removeSignals = context.onSignals(() => controller.abort());
      let orphaned: string | undefined;
      const stopWatching = batchId
        ? watchForOrphanedBatch(loadFor(flags, context), batchId, (message) => {
            orphaned = message;
            controller.abort();
          })
        : () => undefined;
      try {
        if (batchId) {
          await watchBatch(source, {
            batchId,
            signal: controller.signal,
            onHistory: printHistory,
            onEvent: write,
          });
          if (orphaned) throw new DroverError("conflict", orphaned);
        } else {
          await followEverything(source, controller.signal, printHistory, write);
        }
      } finally {
        stopWatching();
        removeSignals();
      }
    } finally {
      await source.close();
    }
  });
}

/** Without a batch, `-f` follows every batch until interrupted. */
async function followEverything(
  source: BatchSource,
  signal: AbortSignal,
  printHistory: (events: DroverEvent[]) => void,
  write: (event: DroverEvent) => void,
): Promise<void> {
  const history = await readAllEvents(source);
  printHistory(history);
  await source.follow({ after: history.at(-1)?.seq ?? 0, signal, onEvent: write });
}

function shows(filter: EventFilter, event: DroverEvent): boolean {
  if (!filter.progress && event.type === "attempt.progress") return false;
  if (filter.sinceMs !== undefined && event.ts < filter.sinceMs) return false;
  if (filter.taskId && !("taskId" in event && event.taskId === filter.taskId)) return false;
  return true;
}

/** `--since 10m` (that long ago) or `--since 2025-01-31T12:00:00Z`. */
function sinceTime(text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw usage(`--since "${text}" is neither a duration (10m, 2h) nor a time (ISO 8601)`);
  return at;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw usage(`${flag} "${text}" is not a whole number`);
  return Number(text);
}

function usage(message: string) {
  return badInput("bad_input", [{ source: "command line", path: "", message }]);
}
