import type { DroverEvent } from "./api-types.ts";
import { formatCost, formatDuration } from "./format.ts";

/** One line that says what an event means, for the task page's event list. */
export function describeEvent(event: DroverEvent): string {
  switch (event.type) {
    case "task.state":
      return `${event.from ?? "new"} → ${event.to}${event.reason ? `: ${event.reason}` : ""}`;
    case "attempt.started":
      return `attempt ${event.number} (${event.kind}) on ${event.engine}${event.model ? ` with ${event.model}` : ""}`;
    case "attempt.session":
      return `session ${event.sessionId} on ${event.server}`;
    case "attempt.progress":
      return `${event.liveness}${event.tool ? ` ${event.tool}` : ""}${event.detail ? `: ${event.detail}` : ""}`;
    case "attempt.finished":
      return `${event.status} after ${formatDuration(event.durationMs)}, ${event.tokens.input}/${event.tokens.output} tokens, ${formatCost(event.cost)}${
        event.failure ? ` — ${event.failure.type}: ${event.failure.message}` : ""
      }`;
    case "watchdog.action":
      return `${event.state} → ${event.remedy}: ${event.message}`;
    case "inbox.added":
      return `inbox (${event.kind}): ${event.title}`;
    case "inbox.answered":
      return `inbox ${event.kind} ${event.state}${event.by ? ` by ${event.by}` : ""}`;
    case "supervisor.launch":
      return `launched: ${event.reason}`;
    case "route.chosen":
      return `on ${event.engine} ${event.model}: ${event.reason}`;
    case "supervisor.recovered":
      return `recovered (${event.action}): ${event.detail}`;
    case "fleet.attempt":
      return `${event.action} by ${event.host}${event.detail ? `: ${event.detail}` : ""}`;
    case "warning":
      return `${event.code}: ${event.message}`;
    default:
      return event.type;
  }
}

/** Drops progress events that repeat the previous liveness of the same attempt (the watchdog's
 * periodic reports), so the list shows changes. */
export function withoutRepeatedProgress(events: readonly DroverEvent[]): DroverEvent[] {
  const lastLiveness = new Map<string, string>();
  return events.filter((event) => {
    if (event.type !== "attempt.progress") return true;
    const key = `${event.liveness}|${event.tool ?? ""}`;
    if (lastLiveness.get(event.attemptId) === key) return false;
    lastLiveness.set(event.attemptId, key);
    return true;
  });
}
