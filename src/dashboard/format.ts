import type { LivenessView, WatchdogEvidence } from "./api-types.ts";

/** `850ms`, `12s`, `3m05s`, `2h10m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export function ago(at: number | undefined, now: number): string {
  return at === undefined ? "" : `${formatDuration(Math.max(0, now - at))} ago`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A local date and time, short: `14:03:21` today, `3 Mar 14:03` otherwise. */
export function formatTime(at: number | string | undefined): string {
  if (at === undefined) return "";
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour12: false })
    : date.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

export function formatCost(usd: number): string {
  return usd === 0 ? "–" : `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** What a running attempt is doing: `in_tool bash`, `thinking`, `rate_limited`. */
export function livenessLabel(view: LivenessView): string {
  return view.state === "in_tool" ? `in tool ${view.tool ?? ""}`.trim() : view.state.replace("_", " ");
}

/** Why it is in that state, from the evidence: last token, tool output and CPU, reset time. */
export function livenessEvidence(view: LivenessView, now: number): string[] {
  const e: WatchdogEvidence = view.evidence ?? {};
  const num = (key: string) => (typeof e[key] === "number" ? (e[key] as number) : undefined);
  const parts: string[] = [];
  if (view.state === "rate_limited" && view.until) parts.push(`until ${formatTime(view.until)}`);
  if (view.state === "in_tool") {
    const output = num("toolOutputBytes");
    if (output !== undefined)
      parts.push(`output ${formatBytes(output)}, last ${ago(num("toolOutputAt"), now)}`);
    const wrote = num("toolWroteBytes");
    if (wrote !== undefined) parts.push(`wrote ${formatBytes(wrote)}, last ${ago(num("toolWroteAt"), now)}`);
    const cpu = num("toolCpuMs");
    if (cpu !== undefined) parts.push(`CPU ${formatDuration(cpu)}`);
  } else if (view.state === "thinking" || view.state === "starting" || view.state === "stalled") {
    const lastByte = num("lastByteAt");
    const request = num("requestAt");
    if (lastByte !== undefined) parts.push(`last token ${ago(lastByte, now)}`);
    else if (request !== undefined) parts.push(`model asked ${ago(request, now)}, no byte yet`);
  } else if (view.state === "awaiting_permission") {
    if (view.detail) parts.push(view.detail);
    const waiting = num("permissionSince");
    if (waiting !== undefined) parts.push(`asked ${ago(waiting, now)}`);
  }
  return parts;
}

/** Every evidence field as `key: value`, timestamps as "… ago" (the task page's full view). */
export function evidenceFields(evidence: WatchdogEvidence | undefined, now: number): [string, string][] {
  return Object.entries(evidence ?? {}).map(([key, value]) => [
    key,
    typeof value === "number" && key.endsWith("At")
      ? `${formatTime(value)} (${ago(value, now)})`
      : typeof value === "number" && key.endsWith("Bytes")
        ? formatBytes(value)
        : typeof value === "number" && key.endsWith("Ms")
          ? formatDuration(value)
          : String(value),
  ]);
}
