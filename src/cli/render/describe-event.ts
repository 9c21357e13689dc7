import { formatDuration } from "../../core/duration.ts";
import type { DroverEvent } from "../../core/events.ts";

/** One human-readable line per event, for `drover logs`. */
export function describeEvent(event: DroverEvent): string {
  const time = new Date(event.ts).toISOString().slice(11, 23);
  const where =
    "taskId" in event && event.taskId
      ? `${"batchId" in event ? `${event.batchId}/` : ""}${event.taskId}`
      : "batchId" in event
        ? event.batchId
        : "";
  const what = (() => {
    switch (event.type) {
      case "task.state":
        return `${event.from ?? "new"} → ${event.to}${event.reason ? ` (${event.reason})` : ""}`;
      case "attempt.started":
        return `attempt ${event.number} (${event.kind}${event.model ? `, ${event.model}` : ""}) started`;
      case "attempt.session":
        return `session ${event.sessionId} on ${event.server}`;
      case "attempt.progress":
        return `${event.liveness}${event.tool ? ` ${event.tool}` : ""}${event.until ? ` until ${new Date(event.until).toISOString().slice(11, 19)}` : ""} · ${event.tokens.input}/${event.tokens.output} tok`;
      case "attempt.finished":
        return `attempt ${event.status} in ${formatDuration(event.durationMs)}${event.failure ? `: ${event.failure.type}: ${event.failure.message}` : ""}`;
      case "batch.created":
        return `batch created with ${event.taskIds.length} task(s)`;
      case "batch.finished":
        return `batch finished in ${formatDuration(event.durationMs)}: ${JSON.stringify(event.counts)}`;
      case "engine.server":
        return `server ${event.server} ${event.state}${event.pid ? ` pid ${event.pid}` : ""}${event.detail ? ` (${event.detail})` : ""}`;
      case "chat.request":
        return `${event.platform} request from ${event.user} in ${event.channel}: ${event.decision}${event.reason ? ` (${event.reason})` : ""}`;
      case "route.chosen":
        return `runs on ${event.engine} ${event.model} (${event.reason})`;
      case "supervisor.launch":
        return `launched (${event.running + 1}/${event.slots} slots; ${event.reason})`;
      case "supervisor.limit":
        return event.limit === null
          ? `${event.key}: limit lifted`
          : `${event.key}: limited to ${event.limit} (${event.reason})`;
      case "supervisor.recovered":
        return `recovered attempt ${event.attemptId}: ${event.action} (${event.detail})`;
      case "fleet.host":
        return `worker ${event.host} (${event.workerId}) ${event.state}${event.slots !== undefined ? `, ${event.slots} slots` : ""}${event.detail ? `: ${event.detail}` : ""}`;
      case "fleet.attempt":
        return `${event.action} by ${event.host} (claim ${event.claimCount})${event.detail ? `: ${event.detail}` : ""}`;
      case "watchdog.action":
        return `${event.state}: ${event.remedy} — ${event.message}`;
      case "inbox.added":
        return `inbox ${event.itemId} (${event.kind}): ${event.title}`;
      case "inbox.answered":
        return `inbox ${event.itemId} (${event.kind}) ${event.state}${event.by ? ` by ${event.by}` : ""}`;
      case "workspace":
        return `${event.action}${event.branch ? ` ${event.branch}` : ""}${event.commit ? ` @ ${event.commit.slice(0, 10)}` : ""}${event.detail ? `: ${event.detail}` : ""}`;
      case "token":
        return `token ${event.action} for ${event.repository} (${Object.entries(event.permissions)
          .map(([name, level]) => `${name}:${level}`)
          .join(
            ", ",
          )})${event.expiresAt ? ` until ${new Date(event.expiresAt).toISOString().slice(11, 19)}` : ""}${event.detail ? `: ${event.detail}` : ""}`;
      case "network.decision":
        return `network ${event.decision} ${event.host}:${event.port} — tier ${event.tier}, ${event.rule}${event.count > 1 ? ` (×${event.count})` : ""}`;
      case "api.auth_failed":
        return `API refused ${event.method} ${event.path} from ${event.remote}: ${event.reason}${event.count > 1 ? ` (${event.count} times)` : ""}`;
      case "schedule.fired":
        return `schedule ${event.name} slot ${new Date(event.slot).toISOString()} (${event.trigger}): batch ${event.batchId}`;
      case "schedule.skipped":
      case "schedule.missed":
      case "schedule.queued":
      case "schedule.failed":
        return `schedule ${event.name} slot ${new Date(event.slot).toISOString()}: ${event.reason}`;
      case "schedule.changed":
        return `schedule ${event.name} ${event.action}`;
      case "warning":
        return `warning ${event.code}: ${event.message}`;
    }
  })();
  return `${time} ${event.type.padEnd(18)} ${where} ${what}`;
}
