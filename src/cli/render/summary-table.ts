import { formatDuration } from "../../core/duration.ts";
import type { BatchResults } from "../../supervisor/batch-results.ts";
import { formatCost, formatTokens, table } from "./format.ts";

/** The table printed when a batch ends. */
export function renderSummary(results: BatchResults, resultsFile: string): string {
  const rows = [["TASK", "STATUS", "TIME", "TOKENS in/out", "COST", "FILES", "DETAIL"]];
  for (const task of results.tasks) {
    const detail =
      task.status === "succeeded"
        ? (task.outcome?.summary ?? "")
        : (task.reason ?? task.outcome?.summary ?? "");
    rows.push([
      task.id,
      task.status,
      task.durationMs ? formatDuration(task.durationMs) : "-",
      formatTokens(task.tokens),
      formatCost(task.cost),
      String(task.filesChanged.length),
      oneLine(detail, 60),
    ]);
  }
  const totals = results.tasks.reduce(
    (acc, task) => ({
      input: acc.input + task.tokens.input,
      output: acc.output + task.tokens.output,
      cost: acc.cost + task.cost,
    }),
    { input: 0, output: 0, cost: 0 },
  );
  const counts = Object.entries(results.batch.counts)
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
  return [
    table(rows),
    "",
    `${results.tasks.length} tasks in ${formatDuration(results.batch.durationMs)}: ${counts}. ` +
      `Tokens ${formatTokens(totals)}, cost ${formatCost(totals.cost)}.`,
    `Results: ${resultsFile}`,
  ].join("\n");
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
