import type { PermissionAnswer, PermissionAsk } from "../engines/contract.ts";
import type { TaskKey } from "../store/store.ts";
import type { InboxService } from "./inbox-service.ts";

/**
 * Puts an agent's permission request in the inbox and waits for a person: approve → allowed once,
 * deny → rejected with a message the agent sees. Withdrawn (the watchdog's permission timeout, or
 * the attempt ended) → the item is closed as denied or resolved.
 */
export function askThroughInbox(inbox: InboxService) {
  return async (
    attempt: TaskKey & { attemptId: string; title: string },
    ask: PermissionAsk,
    signal: AbortSignal,
  ): Promise<PermissionAnswer> => {
    const ref = `${attempt.batchId}/${attempt.taskId}`;
    const item = inbox.add({
      kind: "permission",
      batchId: attempt.batchId,
      taskId: attempt.taskId,
      attemptId: attempt.attemptId,
      title: `${ref} asks for permission: ${ask.permission}`,
      detail: `${ask.permission} ${ask.patterns.join(", ")}`.trim(),
      evidence: { permission: ask.permission, patterns: ask.patterns, requestId: ask.requestId },
      key: `permission:${ask.requestId}`,
    });
    const answered = await inbox.waitForAnswer(item.id, signal);
    if (!answered) {
      const timedOut = signal.reason === "timeout";
      inbox.resolve(item.id, timedOut ? "denied" : "resolved", timedOut ? "watchdog" : "attempt ended");
      return { reply: "reject" };
    }
    return answered.state === "approved"
      ? { reply: "once" }
      : { reply: "reject", message: "A person denied this permission request; go on without it." };
  };
}
