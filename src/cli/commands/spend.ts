import type { Command } from "commander";
import { badInput } from "../../core/errors.ts";
import { formatUsd, readSince, SpendGroupingName, spendReport } from "../../spend/spend-report.ts";
import type { CliContext } from "../context.ts";
import { addStateOptions, output, type StateFlags, withState } from "./state-helpers.ts";

interface SpendFlags extends StateFlags {
  by?: string;
  since?: string;
}

export function registerSpendCommand(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("spend")
      .description("What tasks cost (settled, plus what running attempts reserved), against the budget caps")
      .option("--by <what>", "group by task, batch, model, runner or day (default: model)")
      .option("--since <when>", 'only attempts started since: a duration back from now ("24h") or a date'),
  ).action(async (flags: SpendFlags) => {
    const by = SpendGroupingName.safeParse(flags.by ?? "model");
    if (!by.success)
      throw badInput("bad_input", [
        { source: "--by", path: "", message: `"${flags.by}" is not one of task, batch, model, runner, day` },
      ]);
    await withState(flags, context, (state) => {
      const now = state.clock.now();
      const report = spendReport(state.store.spend, state.loaded.config.budget, {
        by: by.data,
        since: readSince(flags.since, now, "--since"),
        now,
      });
      const width = Math.max(by.data.length, ...report.rows.map((row) => row.key.length));
      const lines = [
        `${by.data.toUpperCase().padEnd(width)}  ${"SPENT".padStart(10)}  ${"RESERVED".padStart(10)}  ATTEMPTS`,
        ...report.rows.map(
          (row) =>
            `${row.key.padEnd(width)}  ${formatUsd(row.spent).padStart(10)}  ${formatUsd(row.reserved).padStart(10)}  ${row.attempts}`,
        ),
        `total ${formatUsd(report.total)} (of which reserved ${formatUsd(report.reserved)}); today ${report.today.day}: ${formatUsd(report.today.spent)}${report.today.cap !== undefined ? ` of ${formatUsd(report.today.cap)}` : ""}`,
        `caps: ${
          Object.entries(report.caps)
            .map(([scope, cap]) => `${scope} ${formatUsd(cap)}`)
            .join(", ") || "none (budget in drover.json)"
        }`,
      ];
      output(context, flags, report, lines.join("\n"));
    });
  });
}
