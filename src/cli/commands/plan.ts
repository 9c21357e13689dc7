import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { Strategy } from "../../config/supervisor-settings.ts";
import { badInput } from "../../core/errors.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import { planRounds } from "../../queue/plan-rounds.ts";
import type { CliContext } from "../context.ts";

export function registerPlanCommand(program: Command, context: CliContext): void {
  program
    .command("plan")
    .description("Print the order and rounds a task file would run in, without running it")
    .argument("<file>", "task file (YAML or JSON)")
    .option("-c, --concurrency <n>", "slots per round (default: capacity.maxWorkers)")
    .option("--strategy <name>", "depth-first or breadth-first (default: the file's, else config)")
    .option("--json", "print JSON")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "accepted for symmetry with other commands; plan stores nothing")
    .action(
      (file: string, flags: { concurrency?: string; strategy?: string; json?: boolean; config?: string }) => {
        const { config } = loadConfig({
          cwd: context.cwd,
          env: context.env,
          ...(flags.config ? { file: flags.config } : {}),
        });
        const document = readTaskDocument(path.resolve(context.cwd, file), {
          model: config.model,
          timeoutMs: config.taskTimeout,
        });
        const strategy = Strategy.safeParse(flags.strategy ?? document.strategy ?? config.strategy);
        if (!strategy.success) {
          throw badInput("bad_input", [
            {
              source: "--strategy",
              path: "",
              message: `"${flags.strategy}" is not depth-first or breadth-first`,
            },
          ]);
        }
        const slots = flags.concurrency ? Number(flags.concurrency) : config.capacity.maxWorkers;
        if (!Number.isInteger(slots) || slots < 1) {
          throw badInput("bad_input", [
            {
              source: "--concurrency",
              path: "",
              message: `"${flags.concurrency}" is not a positive whole number`,
            },
          ]);
        }
        const rounds = planRounds(document.specs, strategy.data, slots);
        if (flags.json) {
          context.stdout.write(`${JSON.stringify({ strategy: strategy.data, slots, rounds })}\n`);
          return;
        }
        const lines = [
          `${document.specs.length} tasks, ${strategy.data}, ${slots} slot(s): ${rounds.length} round(s)`,
        ];
        for (const [i, round] of rounds.entries()) lines.push(`round ${i + 1}: ${round.join(", ")}`);
        context.stdout.write(`${lines.join("\n")}\n`);
      },
    );
}
