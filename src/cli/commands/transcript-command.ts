import type { Command } from "commander";
import { badInput, DroverError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { renderTranscript } from "../render/transcript-text.ts";
import { withSource } from "./batch-source.ts";
import { addStateOptions, output, type StateFlags } from "./state-helpers.ts";
import { parseTaskKey } from "./task-ref.ts";

export function registerTranscriptCommand(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("transcript")
      .description(
        "Print a task's whole conversation (every attempt): prompts, answers, tool calls and their output",
      )
      .argument("<task>", "BATCH/TASK")
      .option("--attempt <n>", "only this attempt"),
  ).action(async (ref: string, flags: StateFlags & { attempt?: string }) => {
    const key = parseTaskKey(ref, "transcript");
    const only = flags.attempt === undefined ? undefined : attemptNumber(flags.attempt);
    await withSource(flags, context, async (source) => {
      const { attempts } = await source.task(key);
      const transcripts = await source.transcripts(key);
      const chosen = only === undefined ? attempts : attempts.filter((attempt) => attempt.number === only);
      if (only !== undefined && chosen.length === 0) {
        throw new DroverError("not_found", `task ${ref} has no attempt ${only} (it has ${attempts.length})`);
      }
      const views = chosen.map((attempt) => ({
        number: attempt.number,
        kind: attempt.kind,
        status: attempt.status,
        ...(attempt.sessionId ? { sessionId: attempt.sessionId } : {}),
        ...(attempt.failure ? { failure: attempt.failure } : {}),
        transcript: transcripts.get(attempt.id) ?? null,
      }));
      const text = views.length
        ? views
            .map((view) =>
              [
                `── attempt ${view.number} · ${view.kind} · ${view.status}${view.sessionId ? ` · ${view.sessionId}` : ""} ──`,
                view.transcript
                  ? renderTranscript(view.transcript)
                  : "(no transcript stored for this attempt)",
                ...(view.failure ? [`✗ ${view.failure.type}: ${view.failure.message}`] : []),
              ].join("\n"),
            )
            .join("\n\n")
        : `task ${ref} has not started an attempt yet`;
      output(context, flags, { batchId: key.batchId, taskId: key.taskId, attempts: views }, text);
    });
  });
}

function attemptNumber(text: string): number {
  if (!/^[1-9]\d*$/.test(text))
    throw badInput("bad_input", [
      { source: "--attempt", path: "", message: `"${text}" is not an attempt number` },
    ]);
  return Number(text);
}
