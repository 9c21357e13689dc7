import { formatDuration } from "../../core/duration.ts";
import { isFinal } from "../../core/task-states.ts";
import type { BatchResults, TaskResult } from "../../supervisor/batch-results.ts";
import { formatCost, formatTokens, table } from "./format.ts";
import { describeLiveness, describeWatchdog } from "./liveness.ts";

/** `drover ls`: a header for the batch, then one row per task (state, attempts, time, tokens, cost, detail). */
export function renderTaskTable(results: BatchResults, tasks: readonly TaskResult[]): string {
  const rows = [["TASK", "STATE", "ATTEMPTS", "TIME", "TOKENS in/out", "COST", "DETAIL"]];
  for (const task of tasks) {
    rows.push([
      task.id,
      task.status,
      String(task.attempts),
      task.durationMs ? formatDuration(task.durationMs) : "-",
      formatTokens(task.tokens),
      formatCost(task.cost),
      oneLine(taskDetail(task), task.status === "running" ? 120 : 72),
    ]);
  }
  const lines = [batchHeadline(results), ""];
  lines.push(tasks.length > 0 ? table(rows) : "(no task in this state)");
  return lines.join("\n");
}

/** `bat_… (source): finished in 3.6s: 2 succeeded, 1 failed` — or `running: …`. */
export function batchHeadline(results: BatchResults): string {
  const { batch } = results;
  const ended = results.tasks.every((task) => isFinal(task.status));
  const when = ended
    ? `finished${batch.finishedAt ? ` in ${formatDuration(batch.durationMs)}` : ""}`
    : "running";
  return `batch ${batch.id} (${batch.source}): ${results.tasks.length} task(s), ${when}: ${formatCounts(batch.counts)}`;
}

/** `2 succeeded, 1 failed`: tasks counted by state. */
export function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([state, n]) => `${n} ${state}`)
      .join(", ") || "no tasks"
  );
}

/** What a user wants to know in one line: the summary of a success, else why it did not succeed. */
export function taskDetail(task: TaskResult, now = Date.now()): string {
  const watchdog = describeWatchdog(task.watchdog);
  const main =
    task.status === "running" && task.liveness
      ? describeLiveness(task.liveness, now)
      : task.status === "succeeded"
        ? (task.outcome?.summary ?? "")
        : (task.reason ?? task.outcome?.summary ?? "");
  return [main, watchdog].filter(Boolean).join(" · ");
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
