import { DroverError } from "../core/errors.ts";
import type { EngineName } from "../core/task-spec.ts";
import type { Engine } from "./contract.ts";

/**
 * The engines drover can run tasks on, by the name a task gives (`engine: opencode`). The
 * supervisor asks it for each task's engine; the composition root fills it. Today it holds
 * OpenCode alone; more engines (Claude Code, Codex, shell) register here.
 */
export class EngineRegistry {
  readonly #engines = new Map<EngineName, Engine>();
  readonly #defaultName: EngineName;

  constructor(engines: ReadonlyMap<EngineName, Engine>, defaultName: EngineName) {
    for (const [name, engine] of engines) this.#engines.set(name, engine);
    if (!this.#engines.has(defaultName))
      throw new DroverError("internal", `the default engine ${defaultName} is not registered`);
    this.#defaultName = defaultName;
  }

  /** The engine for a task's `engine` (the default when it names none). */
  get(name: EngineName | undefined): Engine {
    const engine = this.#engines.get(name ?? this.#defaultName);
    if (!engine) {
      throw new DroverError(
        "bad_input",
        `unknown engine "${name}" (engines: ${[...this.#engines.keys()].join(", ")})`,
      );
    }
    return engine;
  }

  has(name: EngineName): boolean {
    return this.#engines.has(name);
  }

  get default(): Engine {
    return this.get(undefined);
  }

  names(): EngineName[] {
    return [...this.#engines.keys()];
  }
}
