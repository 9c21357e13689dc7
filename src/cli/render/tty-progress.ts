import { formatDuration } from "../../core/duration.ts";
import type { DroverEvent } from "../../core/events.ts";
import type { Liveness, TokenCounts } from "../../core/liveness.ts";
import type { TaskState } from "../../core/task-states.ts";
import { fit, formatTokens, pad } from "./format.ts";

interface Row {
  id: string;
  state: TaskState;
  startedAt?: number;
  endedAt?: number;
  liveness?: Liveness;
  /** When the current liveness began. */
  since?: number | undefined;
  /** The watchdog's latest action on this task. */
  watchdog?: string;
  tool?: string;
  until?: number;
  tokens?: TokenCounts;
}

const symbols: Partial<Record<TaskState, string>> = {
  succeeded: "✓",
  failed: "✗",
  blocked: "⊘",
  timed_out: "⏱",
  cancelled: "−",
  running: "▶",
};

/**
 * Live view for a terminal: one line per task (state, elapsed, current tool, tokens), redrawn
 * in place. With more tasks than fit, running tasks are shown first and the rest counted.
 */
export class TtyProgress {
  readonly #rows = new Map<string, Row>();
  readonly #out: NodeJS.WriteStream;
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;
  #header = "";
  #stopped = false;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  start(): void {
    this.#timer = setInterval(() => this.draw(), 200);
    this.#timer.unref();
  }

  /** Draws the final state once; later calls do nothing. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.draw();
  }

  note(line: string): void {
    this.#header = line;
  }

  /** Shows the tasks before anything about them is recorded (while models are checked, servers start). */
  addTasks(ids: readonly string[]): void {
    for (const id of ids) if (!this.#rows.has(id)) this.#rows.set(id, { id, state: "queued" });
  }

  handle(event: DroverEvent): void {
    if (event.type === "task.state") {
      const row = this.#rows.get(event.taskId) ?? { id: event.taskId, state: event.to };
      row.state = event.to;
      // From the first launch to the end, as the summary counts it (retries included).
      if (event.to === "running" && row.startedAt === undefined) row.startedAt = event.ts;
      if (["succeeded", "failed", "blocked", "timed_out", "cancelled"].includes(event.to))
        row.endedAt = event.ts;
      this.#rows.set(event.taskId, row);
    } else if (event.type === "attempt.progress") {
      const row = this.#rows.get(event.taskId);
      if (!row) return;
      row.liveness = event.liveness;
      row.tool = event.tool;
      row.until = event.until;
      row.since = event.since;
      row.tokens = event.tokens;
    } else if (event.type === "watchdog.action") {
      const row = this.#rows.get(event.taskId);
      if (row) row.watchdog = `${event.state} → ${event.remedy}`;
    } else if (event.type === "attempt.finished") {
      const row = this.#rows.get(event.taskId);
      if (row) row.tokens = event.tokens;
    }
  }

  draw(): void {
    const now = Date.now();
    const height = Math.max(5, (this.#out.rows ?? 30) - 3);
    const all = [...this.#rows.values()];
    const order = (row: Row) => (row.state === "running" ? 0 : row.endedAt ? 2 : 1);
    const sorted = [...all].sort((a, b) => order(a) - order(b));
    const shown = sorted.slice(0, height - 1);
    const counts = new Map<string, number>();
    for (const row of all) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
    const summary = [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(" · ");
    const lines = [this.#header ? `${this.#header}  ${summary}` : summary];
    const idWidth = Math.min(maxIdWidth, Math.max(4, ...shown.map((row) => row.id.length)));
    for (const row of shown) lines.push(this.#line(row, activityOf(row, now), idWidth, now));
    if (sorted.length > shown.length) lines.push(`  … ${sorted.length - shown.length} more`);
    const width = this.#out.columns ?? 120;
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "";
    for (const line of lines) text += `\x1b[2K${line.slice(0, width - 1)}\n`;
    this.#out.write(text);
    this.#drawn = lines.length;
  }

  #line(row: Row, activity: string, idWidth: number, now: number): string {
    const symbol = symbols[row.state] ?? "·";
    const elapsed = row.startedAt ? formatDuration((row.endedAt ?? now) - row.startedAt) : "";
    const tokens = row.tokens ? `${formatTokens(row.tokens)} tok` : "";
    return `${symbol} ${fit(row.id, idWidth)}  ${pad(row.state, 10)} ${pad(elapsed, 7)} ${fit(activity, activityWidth)} ${tokens}`;
  }
}

/**
 * The longest id shown in full, and the activity column's fixed width (it holds
 * `rate_limited (retry in 12.3s)`); longer ones are cut with "…" so the columns stay aligned.
 */
const maxIdWidth = 32;
const activityWidth = 30;

/** What a running task is doing now: thinking, which tool, or waiting out a rate limit until when. */
function activityOf(row: Row, now: number): string {
  if (row.state !== "running") return "";
  let activity = row.liveness === "in_tool" ? `tool:${row.tool ?? "?"}` : (row.liveness ?? "starting");
  if (row.until && row.until > now) activity += ` (retry in ${formatDuration(row.until - now)})`;
  else if (row.since !== undefined && now - row.since >= 10_000)
    activity += ` ${formatDuration(now - row.since)}`;
  if (row.watchdog) activity += ` [${row.watchdog}]`;
  return activity;
}
