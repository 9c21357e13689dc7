import { errorMessage } from "../core/errors.ts";
import type { DroverEvent, EventBus } from "../core/events.ts";
import { isFinal } from "../core/task-states.ts";
import type { Store } from "../store/store.ts";
import type { InboxService } from "./inbox-service.ts";

/**
 * Feeds the inbox from the event stream: a task blocked by its agent, failed after its retries, or
 * handed off for review; a tool killed past its hard limit; thrashing. A task that goes on (retried,
 * cancelled, succeeded) resolves its open items. Never throws: trouble becomes a warning.
 */
export function feedInbox(bus: EventBus, store: Store, inbox: InboxService): () => void {
  // Items recorded here are events too; the bus delivers them after the event that caused them.
  return bus.subscribe((event) => {
    try {
      onEvent(event, store, inbox);
    } catch (error) {
      try {
        store.reportEvent({ type: "warning", code: "inbox", message: errorMessage(error) });
      } catch {
        // The store is closed: nothing left to tell.
      }
    }
  });
}

function onEvent(event: DroverEvent, store: Store, inbox: InboxService): void {
  if (event.type === "watchdog.action") {
    if (event.state !== "tool_limit" && event.state !== "thrashing") return;
    inbox.add({
      kind: event.state === "thrashing" ? "thrashing" : "watchdog",
      batchId: event.batchId,
      taskId: event.taskId,
      attemptId: event.attemptId,
      title: `${event.batchId}/${event.taskId}: ${event.state === "thrashing" ? "thrashing" : "a tool was stopped at its hard limit"}`,
      detail: event.message,
      evidence: event.evidence,
      key: `${event.state}:${event.attemptId}`,
    });
    return;
  }
  if (event.type === "network.decision") {
    if (event.decision === "allow") return;
    const who = event.taskId ? `${event.batchId}/${event.taskId}` : event.label;
    inbox.add({
      kind: "network",
      ...(event.batchId ? { batchId: event.batchId } : {}),
      ...(event.taskId ? { taskId: event.taskId } : {}),
      title: `${who}: ${event.decision === "deny" ? "denied" : "flagged"} a connection to ${event.host}`,
      detail: `${event.host}:${event.port} is tier ${event.tier} (${event.rule})`,
      evidence: { host: event.host, port: event.port, tier: event.tier, rule: event.rule },
      key: `network:${who}:${event.host}:${event.decision}`,
    });
    return;
  }
  if (event.type !== "task.state") return;
  const ref = `${event.batchId}/${event.taskId}`;
  const key = { batchId: event.batchId, taskId: event.taskId };
  if (event.from && isFinal(event.from) && !isFinal(event.to)) {
    inbox.resolveTask(event.batchId, event.taskId, "retried");
    return;
  }
  if (event.to === "cancelled") {
    inbox.resolveTask(event.batchId, event.taskId, "cancelled");
    return;
  }
  if (event.from === "parked" && event.to === "ready") {
    inbox.resolveTask(event.batchId, event.taskId, "budget");
    return;
  }
  if ((event.to === "parked" || event.to === "blocked") && event.reason?.startsWith("budget:")) {
    inbox.add({
      kind: "budget",
      ...key,
      title: `${ref} ${event.to === "parked" ? "waits for budget" : "is blocked by its budget"}`,
      detail: event.reason,
      key: `budget:${ref}:${event.to}`,
    });
    return;
  }
  const task = store.getTask(key);
  const outcome = task?.outcome;
  if (event.to === "blocked" && outcome?.outcome === "blocked") {
    inbox.add({
      kind: "blocked",
      ...key,
      title: `${ref} is blocked`,
      detail: outcome.reason ?? outcome.summary,
      key: `blocked:${ref}`,
    });
  } else if (event.to === "failed") {
    inbox.add({
      kind: "failed",
      ...key,
      title: `${ref} failed after its retries`,
      detail: event.reason ?? "failed",
      key: `failed:${ref}`,
    });
  } else if (event.to === "succeeded") {
    inbox.resolveTask(event.batchId, event.taskId, "succeeded");
    if (outcome?.outcome === "handoff")
      inbox.add({
        kind: "handoff",
        ...key,
        title: `${ref} is done and needs review`,
        detail: outcome.summary,
        key: `handoff:${ref}`,
      });
  }
}
