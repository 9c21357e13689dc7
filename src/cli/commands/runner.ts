import path from "node:path";
import type { Command } from "commander";
import { parseDuration } from "../../core/duration.ts";
import { DroverError } from "../../core/errors.ts";
import { EngineName, SandboxProfile } from "../../core/task-spec.ts";
import { runnerChoices } from "../../runners/runner-choices.ts";
import type { RunnerRecord } from "../../store/store.ts";
import type { CliContext } from "../context.ts";
import { describeEvent } from "../render/describe-event.ts";
import { checkRunnerChoices, checkRunnerChoicesWithEngine } from "./runner-checks.ts";
import { registerRunnerDestroy, withAgentFileNote } from "./runner-destroy.ts";
import { readInstructions, runnerSettingsOf } from "./runner-flags.ts";
import { addStateOptions, loadFor, output, type StateFlags, withApp, withState } from "./state-helpers.ts";

interface RunnerFlags extends StateFlags {
  description?: string;
  model?: string;
  agent?: string;
  engine?: string;
  sandbox?: string;
  dir?: string;
  instructions?: string;
  allowSecrets?: boolean;
  /** false with --no-check: do not start OpenCode to check --model and --agent. */
  check: boolean;
}

export function registerRunnerCommands(program: Command, context: CliContext): void {
  const runner = program
    .command("runner")
    .description("Named, persistent agents: instructions, model, memory, mailbox, last session");
  const definition = (command: Command) =>
    addStateOptions(command)
      .option("--description <text>", "what the runner is for")
      .option("--model <provider/model>", "model (default: config model)")
      .option("--agent <name>", "OpenCode agent")
      .option("--engine <name>", `engine that runs it (${EngineName.options.join(", ")}; default opencode)`)
      .option("--tier <name>", "a tier of routing.tiers instead of a model (its candidates, with fallbacks)")
      .option(
        "--sandbox <profile>",
        `what its agent may reach (${SandboxProfile.options.join(", ")}; default: the config's sandbox)`,
      )
      .option("--dir <path>", "working directory (its .opencode/agents/NAME.md is written)")
      .option("--instructions <file>", "AGENTS.md instructions from this file")
      .option("--allow-secrets", "accept instructions or a description that look like they hold a secret")
      .option(
        "--no-check",
        "do not start OpenCode to check --model and --agent (they are checked again at run)",
      );
  const fields = (flags: RunnerFlags) => ({
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.dir ? { dir: path.resolve(context.cwd, flags.dir) } : {}),
    ...(flags.instructions
      ? {
          instructions: readInstructions(path.resolve(context.cwd, flags.instructions)),
          instructionsFile: path.resolve(context.cwd, flags.instructions),
        }
      : {}),
    ...(flags.allowSecrets ? { allowSecrets: true } : {}),
  });

  definition(
    runner
      .command("create")
      .description("create a runner (model and agent checked with OpenCode)")
      .argument("<name>"),
  ).action(async (name: string, flags: RunnerFlags) => {
    const engine = runnerSettingsOf(flags, loadFor(flags, context).config.routing.tiers);
    const input = { name, ...fields(flags), ...(Object.keys(engine).length > 0 ? { settings: engine } : {}) };
    await withState(flags, context, ({ runners }) => runners.validateCreate(input));
    if (flags.check)
      await checkRunnerChoicesWithEngine(flags, context, runnerChoices(input, context.cwd, "flags"));
    await withState(flags, context, ({ runners }) => {
      const created = runners.create(input);
      const agentFile = runners.agentFileState(name);
      output(
        context,
        flags,
        { ...created, agentFile },
        withAgentFileNote(`created runner ${name}`, agentFile),
      );
    });
  });
  definition(
    runner
      .command("edit")
      .description("change a runner's description, model, agent, directory or instructions")
      .argument("<name>"),
  ).action(async (name: string, flags: RunnerFlags) => {
    const changes = fields(flags);
    if (flags.check && (changes.model || changes.agent || changes.dir)) {
      const current = await withState(flags, context, ({ runners }) => runners.validateEdit(name, changes));
      const merged = { ...current, ...changes };
      const choices = runnerChoices(merged, context.cwd, "flags");
      // Only what this edit changes is checked now; the rest was checked when it was set.
      if (!changes.model) choices.models = [];
      if (!changes.agent && !changes.dir) choices.agents = [];
      await checkRunnerChoicesWithEngine(flags, context, choices);
    }
    const engine = runnerSettingsOf(flags, loadFor(flags, context).config.routing.tiers);
    await withState(flags, context, ({ runners }) => {
      const settings =
        Object.keys(engine).length > 0
          ? { settings: { ...runners.validateEdit(name, {}).settings, ...engine } }
          : {};
      const edited = runners.edit(name, { ...changes, ...settings });
      const agentFile = runners.agentFileState(name);
      output(
        context,
        flags,
        { ...edited, agentFile },
        withAgentFileNote(`updated runner ${name}`, agentFile),
      );
    });
  });
  addStateOptions(runner.command("list").description("list the runners")).action((flags: StateFlags) =>
    withState(flags, context, ({ runners }) => {
      const all = runners.list();
      output(
        context,
        flags,
        all,
        all.length ? all.map(describeRunner).join("\n") : "no runners (drover runner create NAME)",
      );
    }),
  );
  addStateOptions(
    runner.command("status").description("a runner's settings and its last runs").argument("<name>"),
  ).action((name: string, flags: StateFlags) =>
    withState(flags, context, ({ runners }) => {
      const record = runners.get(name);
      const recent = runners.runs(name, 5);
      output(
        context,
        flags,
        { ...record, runs: recent },
        [
          describeRunner(record),
          ...recent.map(
            (run) =>
              `  ${run.id} ${run.status} ${new Date(run.startedAt).toISOString()} ${oneLine(run.prompt)}`,
          ),
        ].join("\n"),
      );
    }),
  );
  addStateOptions(
    runner
      .command("run")
      .description("run a prompt as the runner (one run at a time per runner)")
      .argument("<name>")
      .argument("<prompt...>"),
  )
    .option("--continue", "continue the runner's last session")
    .option("--wait", "if the runner is busy, wait for its run instead of refusing")
    .option("--timeout <duration>", "time limit of the run")
    .action(
      async (
        name: string,
        words: string[],
        flags: StateFlags & { continue?: boolean; wait?: boolean; timeout?: string },
      ) => {
        const timeoutMs = flags.timeout ? parseDuration(flags.timeout) : undefined;
        if (flags.timeout && !timeoutMs)
          throw new DroverError("bad_input", `--timeout: "${flags.timeout}" is not a duration`);
        // An unknown runner is reported before OpenCode starts; its model's provider must be enabled.
        const record = await withState(flags, context, ({ runners }) => runners.get(name));
        const code = await withApp(flags, context, record.model ? [record.model] : [], async (app) => {
          await checkRunnerChoices(app.engine, runnerChoices(record, context.cwd, "fields"));
          const result = await app.runners.run(name, words.join(" "), {
            ...(flags.continue ? { continue: true } : {}),
            ...(flags.wait ? { wait: true } : {}),
            ...(timeoutMs ? { timeoutMs } : {}),
          });
          output(
            context,
            flags,
            result,
            `${name}: ${result.status}${result.outcome ? ` — ${result.outcome.summary}` : ""}\nsession ${result.sessionId ?? "-"}; ${result.mailDelivered} message(s) delivered, ${result.memoriesUsed} memory(ies) used, ${result.learningsStored} learning(s) stored`,
          );
          return result.status === "succeeded" ? 0 : 1;
        });
        context.setExitCode(code);
      },
    );
  addStateOptions(
    runner
      .command("logs")
      .description("a runner's runs, or the live run's events with -f")
      .argument("<name>"),
  )
    .option("-f, --follow", "follow the live run's events")
    .action(async (name: string, flags: StateFlags & { follow?: boolean }) => {
      await withState(flags, context, async ({ runners, store }) => {
        const runs = runners.runs(name, 20);
        if (!flags.follow) {
          output(
            context,
            flags,
            runs,
            runs
              .map(
                (run) =>
                  `${run.id} ${run.status} ${new Date(run.startedAt).toISOString()} ${oneLine(run.prompt)}${run.outcome ? ` → ${oneLine((run.outcome as { summary?: string }).summary ?? "")}` : ""}`,
              )
              .join("\n") || "no runs yet",
          );
          return;
        }
        // Another process writes the run's events into the shared store: follow them there.
        let after = 0;
        let stop = false;
        const remove = context.onSignals(() => {
          stop = true;
        });
        while (!stop) {
          const run = runners.get(name).activeRun ? runners.runs(name, 1)[0] : undefined;
          if (run?.batchId) {
            for (const event of store.listEvents({ batchId: run.batchId, afterSeq: after })) {
              after = event.seq;
              context.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${describeEvent(event)}\n`);
            }
          } else if (after > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        remove();
      });
    });
  addStateOptions(
    runner.command("stop").description("abort the runner's live run").argument("<name>"),
  ).action((name: string, flags: StateFlags) =>
    withState(flags, context, ({ runners }) => {
      const stopped = runners.stop(name);
      output(context, flags, { stopped }, stopped ? `stopping ${name}'s run` : `${name} has no live run`);
    }),
  );
  registerRunnerDestroy(runner, context);
  addStateOptions(
    runner.command("agent").description("print the runner's OpenCode agent definition").argument("<name>"),
  ).action((name: string, flags: StateFlags) =>
    withState(flags, context, ({ runners }) => {
      const text = runners.agentFile(name);
      output(context, flags, { name, agent: text }, text.trimEnd());
    }),
  );
  addStateOptions(
    runner
      .command("import")
      .description("create runners from .opencode/agents/*.md (the files stay yours)")
      .argument("[dir]", "project directory", "."),
  ).action((dir: string, flags: StateFlags) =>
    withState(flags, context, ({ runners }) => {
      const result = runners.importAgents(path.resolve(context.cwd, dir));
      const lines = [
        result.imported.length
          ? `imported ${result.imported.map((r) => r.name).join(", ")}`
          : "no new agents to import",
        ...result.skipped.map((skip) => `skipped ${skip.file}: ${skip.reason}`),
      ];
      output(context, flags, result, lines.join("\n"));
    }),
  );
}

function describeRunner(runner: RunnerRecord): string {
  const state = runner.activeRun ? `running ${runner.activeRun}` : (runner.lastStatus ?? "never run");
  return `${runner.name}  ${runner.model ?? "(default model)"}  ${runner.runCount} run(s), ${state}${runner.lastSessionId ? `, last session ${runner.lastSessionId}` : ""}${runner.description ? ` — ${runner.description}` : ""}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 70 ? `${flat.slice(0, 69)}…` : flat;
}
