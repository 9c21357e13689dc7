import path from "node:path";
import type { Command } from "commander";
import type { AgentFileState } from "../../runners/runner-agent-file.ts";
import type { CliContext } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { confirmOrRefuse } from "./confirm.ts";
import { addStateOptions, output, type StateFlags, withState } from "./state-helpers.ts";

/**
 * `runner destroy NAME`: asks first on a terminal (`--yes` skips it; without a terminal `--yes` is
 * required), and deletes the runner's agent file only if drover wrote it and nobody changed it.
 */
export function registerRunnerDestroy(runner: Command, context: CliContext): void {
  addStateOptions(
    runner
      .command("destroy")
      .description("delete a runner (asks first; its agent file goes only if drover wrote it, unchanged)")
      .argument("<name>")
      .option("-y, --yes", "do not ask (required when not on a terminal)"),
  ).action(async (name: string, flags: StateFlags & { yes?: boolean }) => {
    await withState(flags, context, async (state) => {
      const record = state.runners.get(name);
      const agentFile = state.runners.agentFileState(name);
      const home = path.join(state.loaded.stateDir, "runners", name);
      const confirmed = await confirmOrRefuse({
        yes: flags.yes,
        action: `runner destroy ${name}`,
        streams: { input: process.stdin, output: context.stderr },
        question: [
          `Destroy runner "${name}": its settings, ${record.runCount} run(s) and ${home}/ (AGENTS.md)?`,
          agentFileFate(agentFile),
          "Its memory namespace and mail stay. [y/N] ",
        ]
          .filter(Boolean)
          .join("\n"),
      });
      if (!confirmed) {
        output(context, flags, { kept: name }, `kept runner ${name}`);
        context.setExitCode(exitCodes.notAllSucceeded);
        return;
      }
      const destroyed = state.runners.destroy(name);
      const note = destroyed.agentFile ? describeAgentFile(destroyed.agentFile) : undefined;
      output(
        context,
        flags,
        { destroyed: name, ...(destroyed.agentFile ? { agentFile: destroyed.agentFile } : {}) },
        [`destroyed runner ${name}`, note].filter(Boolean).join("\n"),
      );
    });
  });
}

/** What destroying does to the agent file, said before asking. */
function agentFileFate(state: AgentFileState | undefined): string | undefined {
  if (!state || state.owner === "absent") return undefined;
  if (state.owner === "drover") return `${state.path} goes too (drover wrote it and it is unchanged).`;
  return `${state.path} stays: ${whyKept(state)}.`;
}

/** One line on what happened to an agent file, or nothing when there is nothing to say. */
export function describeAgentFile(state: AgentFileState & { removed?: boolean }): string | undefined {
  if (state.removed) return `deleted ${state.path} (drover wrote it and it was unchanged)`;
  if (state.owner === "absent" || state.owner === "drover") return undefined;
  return `kept ${state.path}: ${whyKept(state)}`;
}

/** Appends, after create or edit, why the agent file was left as it is (if it was). */
export function withAgentFileNote(text: string, state: AgentFileState | undefined): string {
  if (!state || state.owner === "absent" || state.owner === "drover") return text;
  return `${text}\nnote: left ${state.path} as it is (${whyKept(state)}); delete it to let drover write the runner's agent file`;
}

function whyKept(state: AgentFileState): string {
  return state.owner === "edited" ? "it was edited since drover wrote it" : "drover did not write it";
}
