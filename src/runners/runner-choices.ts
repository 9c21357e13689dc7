import type { EngineChoices } from "../supervisor/dispatch-batch.ts";

/** The parts of a runner that name things OpenCode must know. */
export interface RunnerChoices {
  name: string;
  model?: string;
  agent?: string;
  /** The runner's directory; without one, runs happen in the current directory. */
  dir?: string;
}

/**
 * The runner's model, and its agent in the directory it runs in, for `findChoiceIssues`. With
 * `flags`, problems are named after the command-line flags that set them (create, edit); with
 * `fields`, after the runner's fields (run, or the API).
 */
export function runnerChoices(runner: RunnerChoices, cwd: string, names: "flags" | "fields"): EngineChoices {
  const source = `runner ${runner.name}`;
  const field = (name: string) => (names === "flags" ? `--${name}` : name);
  // At create/edit, an agent named after the runner itself is the agent file drover is about to write.
  const ownAgentFile = names === "flags" && runner.agent === runner.name && runner.dir !== undefined;
  return {
    models: runner.model ? [{ model: runner.model, source, path: field("model") }] : [],
    agents:
      runner.agent && !ownAgentFile
        ? [{ agent: runner.agent, dir: runner.dir ?? cwd, source, path: field("agent") }]
        : [],
  };
}
