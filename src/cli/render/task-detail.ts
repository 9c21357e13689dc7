import { formatDuration } from "../../core/duration.ts";
import type { StoredTranscript } from "../../store/store.ts";
import type { TaskResult } from "../../supervisor/batch-results.ts";
import type { AttemptView, TaskView } from "../commands/batch-source.ts";
import { formatCost, formatTokens, table } from "./format.ts";
import { describeLiveness } from "./liveness.ts";
import type { SessionHint } from "./session-hint.ts";
import { oneLine } from "./task-table.ts";
import { renderLastMessages } from "./transcript-text.ts";

/** Everything `drover show` prints about one task. */
export interface TaskShow {
  task: TaskView;
  attempts: AttemptView[];
  totals: TaskResult;
  session?: SessionHint;
  /** The latest attempt that has a stored transcript. */
  lastTranscript?: { attempt: number; transcript: StoredTranscript };
}

export function renderTaskDetail(view: TaskShow): string {
  const { task, totals } = view;
  const ref = `${task.batchId}/${task.id}`;
  const lines = [
    `task ${ref}: ${task.state} after ${totals.attempts} attempt(s) ` +
      `(${totals.durationMs ? formatDuration(totals.durationMs) : "-"}, ` +
      `tokens ${formatTokens(totals.tokens)}, cost ${formatCost(totals.cost)})`,
    ...field("title", task.spec.title),
    ...field("dir", task.spec.dir),
    ...field("model", task.model),
    ...field("prompt", oneLine(task.spec.prompt, 120)),
    ...(task.spec.dependsOn.length ? field("needs", task.spec.dependsOn.join(", ")) : []),
    ...(totals.liveness ? field("doing", describeLiveness(totals.liveness, Date.now())) : []),
    ...(task.stateReason ? field("reason", task.stateReason) : []),
    ...(task.outcome ? field("outcome", `${task.outcome.outcome}: ${task.outcome.summary}`) : []),
    ...field("files", totals.filesChanged.length ? totals.filesChanged.join(", ") : "none changed"),
  ];
  if (totals.workspace) lines.push("", ...workspaceLines(totals.workspace));
  if (totals.watchdog?.length) {
    lines.push("", "watchdog:");
    for (const action of totals.watchdog)
      lines.push(
        `  ${new Date(action.at).toISOString().slice(11, 19)} ${action.state} → ${action.remedy}: ${action.message}`,
      );
  }
  if (view.attempts.length > 0) {
    lines.push("", "attempts:");
    const rows = [["#", "KIND", "STATUS", "TIME", "TOKENS", "SESSION", "FAILURE"]];
    for (const attempt of view.attempts) {
      rows.push([
        String(attempt.number),
        attempt.kind,
        attempt.status,
        attempt.finishedAt ? formatDuration(attempt.finishedAt - attempt.startedAt) : "-",
        attempt.tokens ? formatTokens(attempt.tokens) : "-",
        attempt.sessionId ?? "-",
        attempt.failure ? oneLine(`${attempt.failure.type}: ${attempt.failure.message}`, 80) : "",
      ]);
    }
    lines.push(
      ...table(rows)
        .split("\n")
        .map((line) => `  ${line}`),
    );
  }
  if (view.session) {
    const s = view.session;
    lines.push(
      "",
      `session ${s.sessionId}${s.server ? ` (on ${s.server})` : ""}`,
      `  open in OpenCode:  ${s.open}`,
      `  export as JSON:    ${s.export}`,
    );
  }
  if (view.lastTranscript) {
    lines.push(
      "",
      `last messages of attempt ${view.lastTranscript.attempt} (the whole conversation: drover transcript ${ref}):`,
      renderLastMessages(view.lastTranscript.transcript, 4),
    );
  } else if (view.attempts.length > 0) {
    lines.push("", "(no transcript stored for this task)");
  }
  return lines.join("\n");
}

function field(name: string, value: string): string[] {
  return [`${`${name}:`.padEnd(9)}${value}`];
}

/** The task's worktree, branch, what it holds against its base, and how it was delivered. */
function workspaceLines(workspace: NonNullable<TaskResult["workspace"]>): string[] {
  const stat = workspace.diffStat;
  const lines = [
    `branch ${workspace.branch} (from ${workspace.base.slice(0, 10)}${workspace.head ? `, head ${workspace.head.slice(0, 10)}` : ""})`,
    ...field("worktree", workspace.path),
    ...(stat ? field("changes", `${stat.files} file(s), +${stat.insertions} −${stat.deletions}`) : []),
  ];
  for (const commit of workspace.commits)
    lines.push(`  ${commit.sha.slice(0, 10)} ${oneLine(commit.subject, 100)}`);
  const delivery = workspace.delivery;
  if (delivery) {
    const how =
      delivery.state === "failed"
        ? `failed: ${oneLine(delivery.message ?? "", 160)} (drover retry --deliver tries again)`
        : delivery.pr
          ? `pull request #${delivery.pr.number}${delivery.pr.draft ? " (draft)" : ""} ${delivery.pr.url}`
          : delivery.mergeCommit
            ? `merged into ${delivery.target ?? "the target"} as ${delivery.mergeCommit.slice(0, 10)}`
            : delivery.state;
    lines.push(...field("delivery", `${delivery.mode}: ${how}`));
  }
  return lines;
}
