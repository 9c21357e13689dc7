import { formatDuration } from "../../core/duration.ts";
import type { BatchResults } from "../../supervisor/batch-results.ts";
import { fit, formatCost, formatTokens, table } from "./format.ts";

/** The summary fits a terminal this wide: the DETAIL column takes what the others leave. */
const summaryWidth = 100;
const maxTaskWidth = 24;

/** The table printed when a batch ends. */
export function renderSummary(results: BatchResults, resultsFile: string): string {
  const rows = [["TASK", "STATUS", "TIME", "TOKENS in/out", "COST", "FILES", "DETAIL"]];
  const details: string[] = [];
  for (const task of results.tasks) {
    const detail =
      task.status === "succeeded"
        ? (task.outcome?.summary ?? "")
        : (task.reason ?? task.outcome?.summary ?? "");
    details.push(detail);
    rows.push([
      task.id.length > maxTaskWidth ? fit(task.id, maxTaskWidth) : task.id,
      task.status,
      task.durationMs ? formatDuration(task.durationMs) : "-",
      formatTokens(task.tokens),
      formatCost(task.cost),
      String(task.filesChanged.length),
      "",
    ]);
  }
  // Two spaces between columns; DETAIL gets the rest of the width, at least 20.
  const fixed = [0, 1, 2, 3, 4, 5].reduce(
    (sum, column) => sum + Math.max(...rows.map((row) => (row[column] ?? "").length)) + 2,
    0,
  );
  const detailWidth = Math.max(20, summaryWidth - fixed);
  details.forEach((detail, i) => {
    const row = rows[i + 1];
    if (row) row[6] = oneLine(detail, detailWidth);
  });
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
