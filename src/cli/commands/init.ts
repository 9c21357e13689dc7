import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DroverError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { initConfig, initTasks } from "./init-templates.ts";
import { output } from "./state-helpers.ts";

const nextSteps = [
  "drover plan tasks.yaml    # what would run, in which order",
  "drover run tasks.yaml     # runs offline on the scripted model: no API key needed",
];

/** `drover init [dir]`: a drover.json and a commented example task file that runs as written. */
export function registerInitCommand(program: Command, context: CliContext): void {
  program
    .command("init")
    .description("Write a drover.json and a commented example tasks.yaml to start from (--force overwrites)")
    .argument("[dir]", "project directory (created if missing)", ".")
    .option("--force", "overwrite drover.json and tasks.yaml if they exist")
    .option("--json", "print JSON")
    .action((dir: string, flags: { force?: boolean; json?: boolean }) => {
      const root = path.resolve(context.cwd, dir);
      const files = [
        { file: path.join(root, "drover.json"), text: initConfig },
        { file: path.join(root, "tasks.yaml"), text: initTasks },
      ];
      const existing = files.filter(({ file }) => existsSync(file)).map(({ file }) => file);
      if (existing.length > 0 && !flags.force) {
        // All or nothing: a half-written project is harder to reason about than none.
        throw new DroverError(
          "conflict",
          `init: ${existing.join(" and ")} exist${existing.length === 1 ? "s" : ""} already; nothing was written (--force overwrites)`,
        );
      }
      mkdirSync(root, { recursive: true });
      for (const { file, text } of files) writeFileSync(file, text);
      const written = files.map(({ file }) => file);
      const where = path.relative(context.cwd, root) || ".";
      output(
        context,
        flags,
        { dir: root, written, overwritten: existing, next: nextSteps },
        [
          `wrote ${written.map((file) => path.relative(context.cwd, file)).join(" and ")}${existing.length ? ` (overwrote ${existing.length})` : ""}`,
          "",
          "next:",
          ...(where === "." ? [] : [`  cd ${where}`]),
          ...nextSteps.map((step) => `  ${step}`),
          "",
          'tasks.yaml explains each field; for a real model see drover\'s README, "Using it for real work".',
          "drover keeps its state in .drover/ (add it to .gitignore). Shell completion: drover completion --help",
        ].join("\n"),
      );
    });
}
