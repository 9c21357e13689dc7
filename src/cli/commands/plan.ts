import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { Strategy } from "../../config/supervisor-settings.ts";
import { badInput } from "../../core/errors.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import { readTaskDocument } from "../../intake/read-task-file.ts";
import { planRounds } from "../../queue/plan-rounds.ts";
import { firstOverlap } from "../../workspace/footprint-overlap.ts";
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
          tiers: config.routing.tiers,
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
        const { footprints, overlaps } = planFootprints(document.specs);
        if (flags.json) {
          context.stdout.write(
            `${JSON.stringify({ strategy: strategy.data, slots, rounds, footprints, overlaps })}\n`,
          );
          return;
        }
        const lines = [
          `${document.specs.length} tasks, ${strategy.data}, ${slots} slot(s): ${rounds.length} round(s)`,
        ];
        for (const [i, round] of rounds.entries()) lines.push(`round ${i + 1}: ${round.join(", ")}`);
        if (footprints.length > 0) lines.push("footprints:");
        for (const entry of footprints)
          lines.push(`  ${entry.task} (${entry.repo}): ${entry.touches.join(", ") || "nothing named"}`);
        for (const overlap of overlaps)
          lines.push(`  ${overlap.later} waits while ${overlap.earlier} runs: both touch ${overlap.on}`);
        context.stdout.write(`${lines.join("\n")}\n`);
      },
    );
}

/** Each workspace task's footprint, and the pairs on one repository that will not run at once. */
function planFootprints(specs: readonly TaskSpec[]) {
  const withRepo = specs.filter((spec) => spec.workspace);
  const footprints = withRepo.map((spec) => ({
    task: spec.id,
    dependsOn: spec.dependsOn,
    repo: spec.workspace?.repo ?? "",
    touches: spec.workspace?.touches ?? [],
  }));
  const overlaps: { earlier: string; later: string; on: string }[] = [];
  for (const [i, a] of footprints.entries())
    for (const b of footprints.slice(i + 1)) {
      // A task that waits for the other's result never runs beside it.
      if (a.repo !== b.repo || a.dependsOn.includes(b.task) || b.dependsOn.includes(a.task)) continue;
      const pair = firstOverlap(a.touches, b.touches);
      if (pair)
        overlaps.push({
          earlier: a.task,
          later: b.task,
          on: pair[0] === pair[1] ? pair[0] : pair.join(" / "),
        });
    }
  return { footprints: footprints.map(({ dependsOn, ...entry }) => entry), overlaps };
}
