import { formatDuration } from "../core/duration.ts";
import type { DroverEvent } from "../core/events.ts";
import { isFinal, type TaskState } from "../core/task-states.ts";
import type { Logger, LogLevel } from "./logger.ts";

// Events as log lines: what a daemon's or worker's log records of what happened. At the default
// level (info) the log holds the operational story — batches, final task states, servers, hosts,
// recoveries, limits, watchdog actions, warnings — and leaves the per-attempt chatter to `debug`
// and `trace` (the event stream, `--json` and `drover logs` carry all of it anyway).

type LoggedLevel = Exclude<LogLevel, "silent">;

const failedStates: ReadonlySet<TaskState> = new Set(["failed", "timed_out"]);

/** How loud an event is in the log. */
export function eventLogLevel(event: DroverEvent): LoggedLevel {
  switch (event.type) {
    case "storage.failed":
      return "error";
    case "warning":
    case "watchdog.action":
      return "warn";
    case "engine.server":
      return event.state === "unhealthy" || event.state === "exited" ? "warn" : "info";
    case "fleet.host":
      return event.state === "lost" || event.state === "refused" ? "warn" : "info";
    case "task.state":
      if (failedStates.has(event.to)) return "warn";
      return isFinal(event.to) ? "info" : "debug";
    case "attempt.progress":
      return "trace";
    case "attempt.started":
    case "attempt.session":
    case "attempt.finished":
    case "supervisor.launch":
    case "route.chosen":
      return "debug";
    case "token":
      return event.action === "failed" ? "warn" : "info";
    case "api.auth_failed":
    case "schedule.failed":
      return "warn";
    case "network.decision":
      return event.decision === "allow" ? "debug" : "warn";
    case "workspace":
      if (event.action === "delivery_failed" || event.action === "conflict") return "warn";
      return event.action === "setup" || event.action === "waiting" ? "debug" : "info";
    default:
      return "info";
  }
}

/** The line's message: one short sentence; the event's fields carry the details. */
export function eventLogMessage(event: DroverEvent): string {
  const task = "taskId" in event && event.taskId ? `task ${event.taskId}` : "";
  switch (event.type) {
    case "batch.created":
      return `batch ${event.batchId} created with ${event.taskIds.length} task(s)`;
    case "batch.finished":
      return `batch ${event.batchId} finished in ${formatDuration(event.durationMs)}`;
    case "task.state":
      return `${task} ${event.to}${event.reason ? `: ${event.reason}` : ""}`;
    case "attempt.started":
      return `${task} attempt ${event.number} started (${event.kind})`;
    case "attempt.session":
      return `${task} session ${event.sessionId} on ${event.server}`;
    case "attempt.progress":
      return `${task} ${event.liveness}${event.tool ? ` ${event.tool}` : ""}`;
    case "attempt.finished":
      return `${task} attempt ${event.status} in ${formatDuration(event.durationMs)}`;
    case "engine.server":
      return `server ${event.server} ${event.state}${event.detail ? `: ${event.detail}` : ""}`;
    case "chat.request":
      return `${event.platform} request from ${event.user} in ${event.channel}: ${event.decision}${event.reason ? ` (${event.reason})` : ""}`;
    case "route.chosen":
      return `${task} runs on ${event.engine} ${event.model} (${event.reason})`;
    case "supervisor.launch":
      return `${task} launched (${event.reason})`;
    case "supervisor.limit":
      return event.limit === null ? `${event.key}: limit lifted` : `${event.key}: limited to ${event.limit}`;
    case "supervisor.recovered":
      return `${task} attempt ${event.attemptId} ${event.action}: ${event.detail}`;
    case "fleet.host":
      return `worker ${event.host} ${event.state}${event.detail ? `: ${event.detail}` : ""}`;
    case "fleet.attempt":
      return `${task} ${event.action} by ${event.host}`;
    case "watchdog.action":
      return `${task} ${event.state}: ${event.remedy} (${event.message})`;
    case "inbox.added":
      return `inbox ${event.kind}: ${event.title}`;
    case "inbox.answered":
      return `inbox ${event.itemId} ${event.state}`;
    case "workspace":
      return `${task} workspace ${event.action}${event.detail ? `: ${event.detail}` : ""}`;
    case "token":
      return `${task} token ${event.action} for ${event.repository}${event.detail ? `: ${event.detail}` : ""}`;
    case "api.auth_failed":
      return `API refused ${event.method} ${event.path} from ${event.remote}: ${event.reason}${event.count > 1 ? ` (${event.count} times)` : ""}`;
    case "schedule.fired":
      return `schedule ${event.name} fired batch ${event.batchId} (${event.trigger})`;
    case "schedule.skipped":
    case "schedule.missed":
    case "schedule.queued":
    case "schedule.failed":
      return `schedule ${event.name} ${event.type.slice("schedule.".length)}: ${event.reason}`;
    case "schedule.changed":
      return `schedule ${event.name} ${event.action}`;
    case "network.decision":
      return `${task || event.label} ${event.decision} ${event.host}:${event.port} (tier ${event.tier}, ${event.rule})${event.count > 1 ? ` ×${event.count}` : ""}`;
    case "storage.failed":
      return event.message;
    case "warning":
      return `${event.code}: ${event.message}`;
  }
}

/** Keys every log line has of its own (the logging process's pid, …): an event's are renamed `eventPid`, …. */
const lineKeys: ReadonlySet<string> = new Set(["level", "time", "pid", "hostname", "name", "msg"]);

/** The line's fields: the event's own, `event` for its type; a batch's task list as a count. */
function eventLogFields(event: DroverEvent): Record<string, unknown> {
  const { type, seq, ts, ...fields } = event;
  const compact =
    event.type === "batch.created" ? { ...fields, taskIds: undefined, tasks: event.taskIds.length } : fields;
  const renamed = Object.entries(compact).map(([key, value]) =>
    lineKeys.has(key) ? [`event${key[0]?.toUpperCase()}${key.slice(1)}`, value] : [key, value],
  );
  return { event: type, ...(seq > 0 ? { seq } : {}), eventTime: ts, ...Object.fromEntries(renamed) };
}

/** Writes one event as a log line at its level (nothing when the logger's level is above it). */
export function logEvent(logger: Logger, event: DroverEvent): void {
  const level = eventLogLevel(event);
  if (!logger.isLevelEnabled(level)) return;
  logger[level](eventLogFields(event), eventLogMessage(event));
}

/** A bus listener that logs every event; a listener never throws. */
export function eventLogger(logger: Logger): (event: DroverEvent) => void {
  return (event) => {
    try {
      logEvent(logger, event);
    } catch {
      // A log line that cannot be written must not stop the supervisor.
    }
  };
}
