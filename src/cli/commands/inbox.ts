import type { Command } from "commander";
import { DroverError } from "../../core/errors.ts";
import type { InboxItem } from "../../store/inbox.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { table } from "../render/format.ts";
import { addStateOptions, loadFor, output, type StateFlags, withState } from "./state-helpers.ts";

interface InboxFlags extends StateFlags {
  all?: boolean;
  limit?: string;
}

const answers = ["approve", "deny", "dismiss"] as const;
const taskActions = ["retry", "cancel"] as const;

/** `drover inbox`: what needs a person; approve, deny, dismiss, retry or cancel from there. */
export function registerInboxCommand(program: Command, context: CliContext): void {
  const inbox = addStateOptions(
    program
      .command("inbox")
      .description(
        "What needs a person, newest first: permission requests, blocked tasks, tasks failed after retries, handoffs, watchdog stops",
      )
      .option("--all", "answered items too")
      .option("--limit <n>", "at most this many items (default 100)"),
  ).action(async (flags: InboxFlags) => {
    const limit = flags.limit === undefined ? 100 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new DroverError("bad_input", `--limit: "${flags.limit}" is not a whole number from 1 to 1000`);
    const daemon = DaemonClient.find(loadFor(flags, context).stateDir);
    const items = daemon
      ? (
          await daemon.request<{ items: InboxItem[] }>(
            "GET",
            `/v1/inbox?state=${flags.all ? "all" : "open"}&limit=${limit}`,
          )
        ).items
      : await withState(flags, context, ({ inbox }) => inbox.list({ all: Boolean(flags.all), limit }));
    output(context, flags, { items }, renderInbox(items, Boolean(flags.all)));
  });

  for (const action of [...answers, ...taskActions]) {
    addStateOptions(
      inbox
        .command(action)
        .description(
          action === "retry" || action === "cancel"
            ? `${action} the task an item is about (needs the daemon)`
            : `${action} an item${action === "dismiss" ? "" : " (a permission request)"}`,
        )
        .argument("<id>", "inbox item id (inb_…)"),
    ).action(async (id: string, _own: StateFlags, command: Command) => {
      // `--state-dir`/`--json` may be given before or after the subcommand.
      const flags = command.optsWithGlobals<StateFlags>();
      const daemon = DaemonClient.find(loadFor(flags, context).stateDir);
      let item: InboxItem;
      if (daemon) {
        item = await daemon.request<InboxItem>("POST", `/v1/inbox/${encodeURIComponent(id)}/${action}`, {
          by: "cli",
        });
      } else if (action === "retry" || action === "cancel") {
        throw new DroverError(
          "engine_unavailable",
          `${action} needs the daemon that runs the task (start one with \`drover daemon\`); \`drover ${action} BATCH/TASK\` does the same`,
        );
      } else {
        item = await withState(flags, context, ({ inbox }) => inbox.answer(id, action, "cli"));
      }
      output(context, flags, item, `${item.id}: ${item.state}`);
    });
  }
}

function renderInbox(items: readonly InboxItem[], all: boolean): string {
  if (items.length === 0)
    return all ? "the inbox is empty" : "nothing needs you (drover inbox --all for answered items)";
  const now = Date.now();
  const rows = [["ID", "AGE", "KIND", "TASK", all ? "STATE" : "", "WHAT"]];
  for (const item of items) {
    rows.push([
      item.id,
      age(now - item.createdAt),
      item.kind,
      item.batchId ? `${item.batchId}/${item.taskId ?? ""}` : "-",
      all ? item.state : "",
      `${item.title}${item.detail ? `: ${item.detail}` : ""}`.slice(0, 100),
    ]);
  }
  return table(rows);
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  return s < 86_400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}
