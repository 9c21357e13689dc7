import { z } from "zod";
import { durationSchema, formatDuration } from "../core/duration.ts";

/**
 * The watchdog's budgets, one per liveness state (a bare number is seconds). Each is how long an
 * attempt may stay in that state without progress before the watchdog acts; see the README's "The supervisor" section.
 */
export const WatchdogSettings = z.strictObject({
  enabled: z.boolean().default(true).describe("Watch running attempts and act on the ones not progressing."),
  startTimeout: durationSchema
    .default(120_000)
    .describe(
      "Prompt sent, no model request yet: start the attempt again (on another server when there is one).",
    ),
  firstByte: durationSchema
    .default(180_000)
    .describe("Model request sent, not one byte back: abort and retry (a retryable failure)."),
  stallAfter: durationSchema
    .default(180_000)
    .describe(
      "The model's stream went silent (no new part or token): abort and continue the same session, at most retry.maxContinuations times, then a fresh attempt.",
    ),
  toolIdle: durationSchema
    .default(300_000)
    .describe(
      "A tool with no new output and no CPU in its process tree for this long is hung: its process tree is killed and the session goes on with a note.",
    ),
  toolLimit: z
    .union([durationSchema, z.record(z.string(), durationSchema)])
    .default(1_800_000)
    .describe(
      'Hard limit for one tool call, however alive it looks: a duration, or per tool name with "default", e.g. {"bash": "20m", "default": "30m"}.',
    ),
  permissionTimeout: durationSchema
    .default(600_000)
    .describe("A permission request no one answered (inbox) is denied after this long."),
  thrashSteps: z
    .number()
    .int()
    .min(2)
    .default(40)
    .describe(
      "Model steps in a row without a file change before the attempt is flagged in the inbox (not stopped).",
    ),
});
export type WatchdogSettings = z.infer<typeof WatchdogSettings>;

/** The hard limit for one call of `tool`. */
export function toolLimitFor(settings: WatchdogSettings, tool: string | undefined): number {
  const limit = settings.toolLimit;
  if (typeof limit === "number") return limit;
  return (tool ? limit[tool] : undefined) ?? limit.default ?? 1_800_000;
}

/**
 * Budgets set (both of them, by the user) so that they contradict each other or the task time
 * limit: each problem names both paths. A default never contradicts: it is simply overruled.
 */
export function watchdogContradictions(
  settings: WatchdogSettings,
  taskTimeout: number,
  isSet: (path: string) => boolean,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const limits =
    typeof settings.toolLimit === "number"
      ? [["watchdog.toolLimit", settings.toolLimit] as const]
      : Object.entries(settings.toolLimit).map(([tool, ms]) => [`watchdog.toolLimit.${tool}`, ms] as const);
  for (const [path, ms] of limits) {
    if (!isSet("watchdog.toolIdle") || !isSet(path)) continue;
    if (settings.toolIdle >= ms)
      problems.push({
        path: ["watchdog", "toolIdle"],
        message: `watchdog.toolIdle (${formatDuration(settings.toolIdle)}) must be below ${path} (${formatDuration(ms)}): a hung tool would never be told from a slow one`,
      });
  }
  for (const key of ["startTimeout", "firstByte", "stallAfter"] as const) {
    if (!isSet(`watchdog.${key}`) || !isSet("taskTimeout")) continue;
    if (settings[key] >= taskTimeout)
      problems.push({
        path: ["watchdog", key],
        message: `watchdog.${key} (${formatDuration(settings[key])}) must be below taskTimeout (${formatDuration(taskTimeout)}): the attempt's hard limit would always come first`,
      });
  }
  return problems;
}
