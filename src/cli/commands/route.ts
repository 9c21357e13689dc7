import type { Command } from "commander";
import { DroverError } from "../../core/errors.ts";
import type { DroverEvent } from "../../core/events.ts";
import type { CliContext } from "../context.ts";
import { addStateOptions, output, type StateFlags, withState } from "./state-helpers.ts";
import { parseTaskKey } from "./task-ref.ts";

type RouteChosen = Extract<DroverEvent, { type: "route.chosen" }>;

export function registerRouteCommands(program: Command, context: CliContext): void {
  const route = program
    .command("route")
    .description("Model routing: which engine and model a task ran on, and why");
  addStateOptions(
    route
      .command("explain")
      .description("Each attempt's engine and model, the tier candidate it was, and why it was chosen")
      .argument("<task>", "BATCH/TASK"),
  ).action(async (ref: string, flags: StateFlags) => {
    const key = parseTaskKey(ref, "route explain");
    await withState(flags, context, (state) => {
      const task = state.store.getTask(key);
      if (!task) throw new DroverError("not_found", `no task ${key.batchId}/${key.taskId}`);
      const events = state.store.listEvents({ ...key, limit: 100_000 });
      const choices = events.filter((event): event is RouteChosen => event.type === "route.chosen");
      const why = new Map(
        events.flatMap((event) =>
          event.type === "task.state" && event.to === "ready" && event.reason
            ? [[event.seq, event.reason]]
            : [],
        ),
      );
      const attempts = choices.map((choice, index) => {
        // What moved the task onto this choice: the last reason it became ready before it.
        const previous = choices[index - 1]?.seq ?? 0;
        const moved = [...why.entries()].filter(([seq]) => seq > previous && seq < choice.seq).pop()?.[1];
        return {
          attempt: index + 1,
          attemptId: choice.attemptId,
          engine: choice.engine,
          model: choice.model,
          ...(choice.tier !== undefined ? { tier: choice.tier } : {}),
          ...(choice.candidate !== undefined ? { candidate: choice.candidate + 1 } : {}),
          reason: choice.reason,
          ...(index > 0 && moved ? { after: moved } : {}),
        };
      });
      const lines = [
        `${key.batchId}/${key.taskId}: ${task.spec.tier ? `tier ${task.spec.tier}` : `model ${task.spec.model}`}, now ${task.state}`,
        ...(attempts.length === 0 ? ["no attempt has started yet"] : []),
        ...attempts.map(
          (entry) =>
            `attempt ${entry.attempt}: ${entry.engine} ${entry.model} — ${entry.reason}${entry.after ? `\n  after: ${entry.after}` : ""}`,
        ),
      ];
      output(
        context,
        flags,
        { task: `${key.batchId}/${key.taskId}`, tier: task.spec.tier ?? null, state: task.state, attempts },
        lines.join("\n"),
      );
    });
  });
}
