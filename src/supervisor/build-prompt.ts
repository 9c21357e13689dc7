import { reportInstructions } from "../core/outcome-schema.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { renderLineage } from "./lineage.ts";

/** The first prompt of a task: its text, its lineage (dotted ids), and how to report the outcome. */
export function buildTaskPrompt(spec: TaskSpec, batch: readonly TaskSpec[], structured: boolean): string {
  const parts = [spec.prompt.trimEnd()];
  const lineage = renderLineage(spec, batch);
  if (lineage) parts.push(lineage);
  if (structured) parts.push(reportInstructions);
  return parts.join("\n\n");
}

/** Sent in the same session when an attempt stopped early (stream cut, idle without a report). */
export function continuationPrompt(structured: boolean): string {
  return structured
    ? "Continue where you stopped; do not start over. When you are done, report your outcome with the structured output tool."
    : "Continue where you stopped; do not start over.";
}

/** Sent in the same session after a rate-limit pause. */
export function resumeAfterPausePrompt(structured: boolean): string {
  return `You were paused by a provider rate limit. ${continuationPrompt(structured)}`;
}

/** The one recovery attempt for a "missing context" block (the seeds' BLOCKED protocol). */
export function missingContextRecoveryPrompt(reason: string): string {
  return [
    `You reported that you are blocked by missing context: ${reason}`,
    "Look again: re-read the task, the repository's docs and the code around it. Where the answer can be inferred from",
    "context or conventions, choose the most reasonable interpretation, state your assumption in the summary, and proceed.",
    'Report "blocked" again only if it truly cannot be done without a person; then say exactly what is needed.',
  ].join("\n");
}
