import { z } from "zod";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration drover accepts anywhere: 30 days (720h). Longer time limits are almost
 * surely typos, and no attempt, lease or backoff is meant to outlive a month.
 */
export const maxDurationMs = 30 * 24 * 3_600_000;

/** A parsed duration, or what is wrong with the value (for messages). */
export type DurationReading = { ms: number } | { problem: string };

/** Reads `1500ms`, `30s`, `10m`, `1.5h` or a bare number of seconds, up to `maxDurationMs`. */
export function readDuration(value: string | number): DurationReading {
  const ms = toMilliseconds(value);
  if (ms === undefined) return { problem: `"${value}" is not a duration (use e.g. 90, "30s", "10m", "1h")` };
  if (ms > maxDurationMs)
    return { problem: `"${value}" is longer than the maximum duration of 30 days ("720h")` };
  return { ms };
}

/** Parses a duration into milliseconds; undefined when it is not one or is over 30 days. */
export function parseDuration(value: string | number): number | undefined {
  const reading = readDuration(value);
  return "ms" in reading ? reading.ms : undefined;
}

function toMilliseconds(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const ms = amount * (units[match[2] ?? "s"] ?? 1000);
  return ms > 0 ? Math.round(ms) : undefined;
}

/** zod field for a duration (at most 30 days); yields milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const reading = readDuration(value);
  if ("problem" in reading) {
    ctx.addIssue({ code: "custom", message: reading.problem });
    return z.NEVER;
  }
  return reading.ms;
});

/** zod field for a wait that may be none at all: `0` (or "0s") as well as any duration. */
export const graceSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (isZero(value)) return 0;
  const reading = readDuration(value);
  if ("problem" in reading) {
    ctx.addIssue({ code: "custom", message: reading.problem.replace("use e.g. 90", "use e.g. 0, 90") });
    return z.NEVER;
  }
  return reading.ms;
});

function isZero(value: string | number): boolean {
  if (typeof value === "number") return value === 0;
  return /^\s*0+(?:\.0+)?\s*(ms|s|m|h)?\s*$/.test(value);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}
