import { formatDuration } from "../../core/duration.ts";
import type { WatchdogEvidence } from "../../core/liveness.ts";
import type { LivenessView, WatchdogActionView } from "../../supervisor/batch-results.ts";
import { formatBytes } from "./format.ts";

/** `in_tool bash for 2m10s (output 3.2 KB 4s ago, CPU 1.2s)`: the state, since when, and why. */
export function describeLiveness(view: LivenessView, now: number): string {
  const since = view.since !== undefined ? ` for ${formatDuration(Math.max(0, now - view.since))}` : "";
  const what = view.state === "in_tool" ? `in_tool ${view.tool ?? "?"}` : view.state;
  const why = evidenceText(view, now);
  return `${what}${since}${why ? ` (${why})` : ""}`;
}

function evidenceText(view: LivenessView, now: number): string {
  const e: WatchdogEvidence = view.evidence ?? {};
  const ago = (at: unknown) => (typeof at === "number" ? `${formatDuration(Math.max(0, now - at))} ago` : "");
  const parts: string[] = [];
  if (view.state === "rate_limited" && view.until) parts.push(`until ${new Date(view.until).toISOString()}`);
  if (view.state === "in_tool") {
    if (typeof e.toolOutputBytes === "number")
      parts.push(`output ${bytes(e.toolOutputBytes)}, last ${ago(e.toolOutputAt)}`);
    if (typeof e.toolWroteBytes === "number")
      parts.push(`wrote ${bytes(e.toolWroteBytes)}, last ${ago(e.toolWroteAt)}`);
    if (typeof e.toolCpuMs === "number") parts.push(`CPU ${formatDuration(e.toolCpuMs)}`);
  } else if (view.state === "thinking" || view.state === "starting") {
    if (e.lastByteAt !== undefined) parts.push(`last token ${ago(e.lastByteAt)}`);
    else if (e.requestAt !== undefined) parts.push(`model asked ${ago(e.requestAt)}, no byte yet`);
  } else if (view.state === "awaiting_permission" && view.detail) parts.push(view.detail);
  return parts.join(", ");
}

/** `stalled → continue; tool_hung → kill_tool`: the watchdog's actions so far. */
export function describeWatchdog(actions: readonly WatchdogActionView[] | undefined): string {
  if (!actions?.length) return "";
  return `watchdog: ${actions.map((a) => `${a.state} → ${a.remedy}`).join("; ")}`;
}

const bytes = formatBytes;
