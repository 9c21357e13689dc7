import type { Command } from "commander";
import { formatDuration } from "../../core/duration.ts";
import { collectWorkspaces } from "../../workspace/workspace-gc.ts";
import { listWorkspaces, type WorkspaceEntry } from "../../workspace/workspace-list.ts";
import { workspacePaths } from "../../workspace/workspace-paths.ts";
import type { CliContext } from "../context.ts";
import { formatBytes, table } from "../render/format.ts";
import { addStateOptions, loadFor, type StateFlags, withState } from "./state-helpers.ts";

/** `drover workspace ls|gc`: the task worktrees on this machine, and removing the ones done with. */
export function registerWorkspaceCommands(program: Command, context: CliContext): void {
  const workspace = program
    .command("workspace")
    .description("Task worktrees (tasks with repo:): list them, remove the ones done with");

  addStateOptions(
    workspace
      .command("ls")
      .description("Every task worktree: task, branch, path, disk use, age, merged or not"),
  ).action(async (flags: StateFlags) => {
    const { root } = workspacePaths(loadFor(flags, context));
    const entries = await listWorkspaces({ root });
    const now = Date.now();
    const rows = [["TASK", "BRANCH", "DISK", "AGE", "STATE", "PATH"]];
    for (const entry of entries)
      rows.push([
        `${entry.batchId}/${entry.taskId}`,
        entry.branch ?? "-",
        formatBytes(entry.diskBytes),
        formatDuration(Math.max(0, now - entry.createdAt)),
        describeState(entry),
        entry.path,
      ]);
    const total = entries.reduce((sum, entry) => sum + entry.diskBytes, 0);
    const text = entries.length
      ? `${table(rows)}\n${entries.length} worktree(s), ${formatBytes(total)} under ${root}`
      : `no task worktrees under ${root}`;
    output(context, flags, { root, diskBytes: total, workspaces: entries }, text);
  });

  addStateOptions(
    workspace
      .command("gc")
      .description(
        "Remove worktrees whose branch is merged, or whose task ended more than workspace.keepDays ago (unmerged branches are kept); never one with uncommitted changes unless --force",
      )
      .option("--force", "Also remove worktrees with uncommitted changes"),
  ).action(async (flags: StateFlags & { force?: boolean }) => {
    const loaded = loadFor(flags, context);
    const { root } = workspacePaths(loaded);
    const result = await withState(flags, context, (state) =>
      collectWorkspaces({
        root,
        keepDays: loaded.config.workspace.keepDays,
        now: state.clock.now(),
        force: flags.force === true,
        isTaskEnded: (batchId, taskId) => state.store.getTask({ batchId, taskId })?.finishedAt,
      }),
    );
    const lines = [
      ...result.removed.map(
        (entry) =>
          `removed ${entry.batchId}/${entry.taskId} (${entry.reason})${entry.branchDeleted ? `, branch ${entry.branch} deleted` : entry.branch ? `, branch ${entry.branch} kept` : ""}`,
      ),
      ...result.kept.map((entry) => `kept ${entry.batchId}/${entry.taskId}: ${entry.reason}`),
    ];
    const freed = result.removed.reduce((sum, entry) => sum + entry.diskBytes, 0);
    lines.push(`${result.removed.length} removed (${formatBytes(freed)} freed), ${result.kept.length} kept`);
    output(context, flags, { ...result, freedBytes: freed }, lines.join("\n"));
  });
}

function describeState(entry: WorkspaceEntry): string {
  if (entry.problem) return entry.problem;
  return [entry.merged ? "merged" : "unmerged", ...(entry.dirty ? ["dirty"] : [])].join(", ");
}

function output(context: CliContext, flags: StateFlags, json: unknown, text: string): void {
  context.stdout.write(`${flags.json ? JSON.stringify(json) : text}\n`);
}
