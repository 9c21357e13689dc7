#!/usr/bin/env node
// Prints a drover results.json as the GitHub Actions job summary (Markdown): one line per task.
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: action-summary.mjs RESULTS.json");
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, "utf8"));
const cell = (text) =>
  String(text ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\s+/g, " ")
    .slice(0, 200);
const icon = { succeeded: "✅", failed: "❌", blocked: "⛔", timed_out: "⏱️", cancelled: "🚫", parked: "⏸️" };
const counts = Object.entries(results.batch.counts)
  .map(([state, count]) => `${count} ${state}`)
  .join(", ");
const lines = [
  `### drover: ${results.tasks.length} task(s) — ${counts}`,
  "",
  "| task | status | attempts | cost | outcome |",
  "|---|---|---|---|---|",
  ...results.tasks.map(
    (task) =>
      `| ${cell(task.id)} | ${icon[task.status] ?? ""} ${task.status} | ${task.attempts} | $${Number(task.cost ?? 0).toFixed(2)} | ${cell(task.outcome?.summary ?? task.reason ?? "")}${task.workspace?.delivery?.pr?.url ? ` ([PR](${task.workspace.delivery.pr.url}))` : ""} |`,
  ),
  "",
  `Batch \`${results.batch.id}\`; results.json is kept as the \`drover-results\` artifact.`,
];
process.stdout.write(`${lines.join("\n")}\n`);
