import type { Command } from "commander";
import { badInput } from "../../core/errors.ts";
import { TaskState, taskStates } from "../../core/task-states.ts";
import { resolveOpencodeBin } from "../../engines/opencode/resolve-opencode-bin.ts";
import { type TaskResult, taskResult } from "../../supervisor/batch-results.ts";
import type { CliContext } from "../context.ts";
import { sessionHint } from "../render/session-hint.ts";
import { renderTaskDetail, type TaskShow } from "../render/task-detail.ts";
import { renderTaskTable } from "../render/task-table.ts";
import { type BatchSource, type TaskDetail, withSource } from "./batch-source.ts";
import { addStateOptions, loadFor, output, type StateFlags } from "./state-helpers.ts";
import { parseTaskKey, parseTaskRef } from "./task-ref.ts";
import { registerTranscriptCommand } from "./transcript-command.ts";

/** `ls`, `show` and `transcript`: what happened in a batch, through the daemon or from the state dir. */
export function registerTaskViewCommands(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("ls")
      .description(
        "List the tasks of a batch (default: the most recent batch; `drover status` lists batches): " +
          "state, attempts, time, tokens, cost, and the outcome or why it did not succeed",
      )
      .argument("[batch]", "batch id (default: the most recent batch)")
      .option("--state <states>", "only tasks in these states, comma-separated (e.g. failed,timed_out)"),
  ).action(async (ref: string | undefined, flags: StateFlags & { state?: string }) => {
    const states = flags.state === undefined ? undefined : parseStates(flags.state);
    const requested = ref ? parseTaskRef(ref) : undefined;
    if (requested?.taskId) throw usage(`ls takes a BATCH; for one task use drover show ${ref}`);
    await withSource(flags, context, async (source) => {
      const batchId = requested?.batchId ?? (await source.listBatches(1))[0]?.id;
      if (!batchId) {
        output(context, flags, { batch: null, tasks: [] }, `no batches yet in ${source.stateDir}`);
        return;
      }
      const results = await source.results(batchId);
      const tasks = states ? results.tasks.filter((task) => states.has(task.status)) : results.tasks;
      output(context, flags, { batch: results.batch, tasks }, renderTaskTable(results, tasks));
    });
  });

  addStateOptions(
    program
      .command("show")
      .description(
        "Show one task: its attempts (kind, status, failure), files changed, its OpenCode session " +
          "and how to open it, and the last messages and tool calls",
      )
      .argument("<task>", "BATCH/TASK"),
  ).action(async (ref: string, flags: StateFlags) => {
    const key = parseTaskKey(ref, "show");
    await withSource(flags, context, async (source) => {
      const detail = await source.task(key);
      const transcripts = await source.transcripts(key);
      // Liveness and the watchdog's actions come with the batch's results.
      const line = (await source.results(key.batchId)).tasks.find((task) => task.id === key.taskId);
      const view = showView(detail, transcripts, source.stateDir, opencodeBin(flags, context), line);
      const { lastTranscript, ...rest } = view;
      const json = {
        ...rest,
        ...(lastTranscript
          ? {
              lastMessages: {
                attempt: lastTranscript.attempt,
                messages: lastTranscript.transcript.messages.slice(-4),
              },
            }
          : {}),
      };
      output(context, flags, json, renderTaskDetail(view));
    });
  });

  registerTranscriptCommand(program, context);
}

function showView(
  detail: TaskDetail,
  transcripts: Awaited<ReturnType<BatchSource["transcripts"]>>,
  stateDir: string,
  bin: string,
  line?: TaskResult,
): TaskShow {
  const { task, attempts } = detail;
  const withSession = [...attempts].reverse().find((attempt) => attempt.sessionId);
  const sessionId = withSession?.sessionId ?? task.sessionId;
  const lastWithTranscript = [...attempts].reverse().find((attempt) => transcripts.has(attempt.id));
  const transcript = lastWithTranscript ? transcripts.get(lastWithTranscript.id) : undefined;
  return {
    task,
    attempts,
    totals: {
      ...taskResult(task, attempts),
      ...(line?.liveness ? { liveness: line.liveness } : {}),
      ...(line?.watchdog ? { watchdog: line.watchdog } : {}),
      ...(line?.workspace ? { workspace: line.workspace, filesChanged: line.filesChanged } : {}),
    },
    ...(sessionId
      ? {
          session: sessionHint({
            stateDir,
            sessionId,
            ...(withSession?.server ? { server: withSession.server } : {}),
            dir: task.spec.dir,
            opencodeBin: bin,
          }),
        }
      : {}),
    ...(lastWithTranscript && transcript
      ? { lastTranscript: { attempt: lastWithTranscript.number, transcript } }
      : {}),
  };
}

function opencodeBin(flags: StateFlags, context: CliContext): string {
  try {
    return resolveOpencodeBin(loadFor(flags, context).config.opencode.bin);
  } catch {
    return "opencode";
  }
}

function parseStates(text: string): Set<TaskState> {
  const states = new Set<TaskState>();
  for (const word of text.split(",").map((part) => part.trim())) {
    const parsed = TaskState.safeParse(word);
    if (!parsed.success) throw usage(`--state "${word}" is not a task state (${taskStates.join(", ")})`);
    states.add(parsed.data);
  }
  return states;
}

function usage(message: string) {
  return badInput("bad_input", [{ source: "command line", path: "", message }]);
}
