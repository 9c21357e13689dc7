import { Cron } from "croner";
import { errorMessage, type InputIssue } from "../core/errors.ts";

// A schedule's slots, computed with croner from a given time (never croner's own timers: the
// scheduler sleeps on the injected clock, so tests drive time). Croner follows the zone's wall
// clock across DST: a fixed time that falls in a spring-forward gap runs at the first valid time
// after it, and a time that occurs twice in the fall-back hour runs once.

/** The cron expression and IANA time zone that give a schedule its slots. */
export interface CronTiming {
  cron: string;
  timezone: string;
}

const cache = new Map<string, Cron>();

/** 5 fields (minute precision) or 6 (seconds first); nicknames such as `@daily` too. */
function cronFor(timing: CronTiming): Cron {
  const id = `${timing.timezone}\0${timing.cron}`;
  let cron = cache.get(id);
  if (!cron) {
    // No callback: croner only computes dates, it schedules nothing.
    cron = new Cron(timing.cron, { timezone: timing.timezone, mode: "5-or-6-parts" });
    if (cache.size > 500) cache.clear();
    cache.set(id, cron);
  }
  return cron;
}

/** The first slot strictly after `afterMs`, or undefined when the expression never fires again. */
export function nextSlot(timing: CronTiming, afterMs: number): number | undefined {
  return cronFor(timing).nextRun(new Date(afterMs))?.getTime();
}

/**
 * The slots in (`afterMs`, `nowMs`], oldest first: at most `limit` of them, the latest ones;
 * `more` says that earlier ones were left out.
 */
export function dueSlots(
  timing: CronTiming,
  afterMs: number,
  nowMs: number,
  limit: number,
): { slots: number[]; more: boolean } {
  const first = nextSlot(timing, afterMs);
  if (first === undefined || first > nowMs) return { slots: [], more: false };
  // Counted back from now, so a long downtime costs `limit` steps, not one per slot missed.
  const back = cronFor(timing)
    .previousRuns(limit + 1, new Date(nowMs + 1))
    .map((date) => date.getTime())
    .filter((slot) => slot > afterMs && slot <= nowMs);
  const more = back.length > limit;
  return { slots: back.slice(0, limit).reverse(), more };
}

/** The time zone of this process (what a schedule without `--tz` uses), e.g. `Europe/Berlin`. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Problems with a cron expression and time zone, each naming the value (empty when both are fine). */
export function checkTiming(timing: CronTiming, source: string, nowMs: number): InputIssue[] {
  const issues: InputIssue[] = [];
  let zoneOk = true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timing.timezone });
  } catch {
    zoneOk = false;
    issues.push({
      source,
      path: "timezone",
      message: `unknown time zone "${timing.timezone}" (use an IANA name such as Europe/Berlin or UTC)`,
    });
  }
  try {
    const cron = new Cron(timing.cron, {
      mode: "5-or-6-parts",
      ...(zoneOk ? { timezone: timing.timezone } : {}),
    });
    if (zoneOk && cron.nextRun(new Date(nowMs)) === null)
      issues.push({ source, path: "cron", message: `cron expression "${timing.cron}" never fires` });
  } catch (error) {
    const why = errorMessage(error).replace(/^CronPattern: /, "");
    issues.push({
      source,
      path: "cron",
      message: `"${timing.cron}" is not a valid cron expression (${why}); use 5 fields (minute hour day month weekday) or 6 (seconds first)`,
    });
  }
  return issues;
}
