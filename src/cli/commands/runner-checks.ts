import { createApp } from "../../app.ts";
import { badInput } from "../../core/errors.ts";
import type { Engine } from "../../engines/contract.ts";
import { type EngineChoices, findChoiceIssues } from "../../supervisor/dispatch-batch.ts";
import type { CliContext } from "../context.ts";
import { loadFor, type StateFlags } from "./state-helpers.ts";

/** Throws a bad_input error (exit 2) listing every unknown model, unreachable provider and unknown agent. */
export async function checkRunnerChoices(engine: Engine, choices: EngineChoices): Promise<void> {
  const issues = await findChoiceIssues(engine, choices);
  if (issues.length > 0) throw badInput("bad_input", issues);
}

/** Starts OpenCode just long enough to check a runner's model and agent (create and edit). */
export async function checkRunnerChoicesWithEngine(
  flags: StateFlags,
  context: CliContext,
  choices: EngineChoices,
): Promise<void> {
  if (choices.models.length === 0 && choices.agents.length === 0) return;
  const loaded = loadFor(flags, context);
  const app = await createApp({
    loaded,
    env: context.env,
    models: [loaded.config.model, ...choices.models.map((use) => use.model)],
    bus: context.bus,
  });
  try {
    await checkRunnerChoices(app.engine, choices);
  } finally {
    await app.close();
  }
}
