import { z } from "zod";
import type { BudgetSettings } from "../config/spend-settings.ts";
import { readDuration } from "../core/duration.ts";
import { badInput } from "../core/errors.ts";
import type { SpendGrouping, SpendRow, SpendTable } from "../store/spend.ts";

export const SpendGroupingName = z.enum(["task", "batch", "model", "runner", "day"]);

/** What `drover spend` and `GET /v1/spend` report. */
export interface SpendReport {
  by: SpendGrouping;
  /** Only attempts started at or after this time (ms; 0 = all). */
  since: number;
  /** USD: settled cost plus open reservations. */
  total: number;
  /** USD still reserved by attempts that have not ended. */
  reserved: number;
  /** Today's (UTC) spend against the day cap. */
  today: { day: string; spent: number; cap?: number };
  caps: { task?: number; batch?: number; runner?: number; day?: number };
  rows: SpendRow[];
}

/** Reads `--since`/`since`: a duration back from now ("24h", "90m") or a date ("2026-12-01"). */
export function readSince(value: string | undefined, now: number, source: string): number {
  if (value === undefined || value === "") return 0;
  const duration = readDuration(value);
  if ("ms" in duration) return now - duration.ms;
  const date = Date.parse(value);
  if (Number.isNaN(date))
    throw badInput("bad_input", [
      {
        source,
        path: "since",
        message: `"${value}" is neither a duration ("24h") nor a date ("2026-12-01")`,
      },
    ]);
  return date;
}

export function spendReport(
  spend: SpendTable,
  budget: BudgetSettings,
  options: { by: SpendGrouping; since: number; now: number },
): SpendReport {
  const rows = spend.report(options.by, options.since);
  const day = new Date(options.now).toISOString().slice(0, 10);
  const todayRow = spend.report("day", 0).find((row) => row.key === day);
  const caps = Object.fromEntries(
    (["task", "batch", "runner", "day"] as const).flatMap((scope) =>
      budget[scope] !== undefined ? [[scope, budget[scope]]] : [],
    ),
  );
  const all = options.by === "runner" ? spend.report("day", options.since) : rows;
  return {
    by: options.by,
    since: options.since,
    total: all.reduce((sum, row) => sum + row.spent, 0),
    reserved: all.reduce((sum, row) => sum + row.reserved, 0),
    today: { day, spent: todayRow?.spent ?? 0, ...(budget.day !== undefined ? { cap: budget.day } : {}) },
    caps,
    rows,
  };
}

/** USD for people: 4 decimals under a cent, else 2. */
export function formatUsd(value: number): string {
  return `$${value > 0 && value < 0.01 ? value.toFixed(4) : value.toFixed(2)}`;
}
