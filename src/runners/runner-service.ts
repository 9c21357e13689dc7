import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DroverConfig } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { DroverError } from "../core/errors.ts";
import type { Mailbox } from "../mailbox/mailbox.ts";
import type { MemoryService } from "../memory/memory-service.ts";
import type { RunnerRecord, RunnerRunRecord, Store } from "../store/store.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { type AgentDefinition, renderAgentFile } from "./agent-file.ts";
import { readAgentFiles, type SkippedAgentFile } from "./read-agent-files.ts";
import { type RunnerRunOptions, type RunnerRunResult, runAsRunner, runIsLive } from "./run-as-runner.ts";
import { type AgentFileState, agentFileState, removeAgentFile, writeAgentFile } from "./runner-agent-file.ts";
import { agentSecretReason, refuseRunnerSecrets } from "./runner-secrets.ts";

const namePattern = /^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/;

export interface RunnerInput {
  name: string;
  description?: string;
  model?: string;
  agent?: string;
  dir?: string;
  instructions?: string;
  settings?: Record<string, unknown>;
  /** Accept instructions or a description that look like they contain a secret (not stored). */
  allowSecrets?: boolean;
  /** The file the instructions were read from, named when they are refused (not stored). */
  instructionsFile?: string;
}

/** What `destroy` did; the agent file is deleted only if drover wrote it and it is unchanged. */
export interface DestroyedRunner {
  name: string;
  agentFile?: AgentFileState & { removed: boolean };
}

export interface ImportedAgents {
  imported: RunnerRecord[];
  skipped: SkippedAgentFile[];
}

/**
 * Named, persistent agents: instructions (an editable AGENTS.md), model, memory namespace,
 * mailbox and last session. Runs go through the supervisor as one-task batches and are
 * serialized per runner by a lock in the store.
 */
export class RunnerService {
  readonly #store: Store;
  readonly #supervisor: Supervisor | undefined;
  readonly #memory: MemoryService;
  readonly #mailbox: Mailbox;
  readonly #clock: Clock;
  readonly #config: DroverConfig;
  readonly #home: string;

  /** Without a supervisor (no engine started), runners can be managed but not run. */
  constructor(deps: {
    store: Store;
    supervisor?: Supervisor;
    memory: MemoryService;
    mailbox: Mailbox;
    clock: Clock;
    config: DroverConfig;
    stateDir: string;
  }) {
    this.#store = deps.store;
    this.#supervisor = deps.supervisor;
    this.#memory = deps.memory;
    this.#mailbox = deps.mailbox;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#home = path.join(deps.stateDir, "runners");
  }

  /** What `create` checks before storing anything: a valid, free name and an existing directory. */
  validateCreate(input: RunnerInput): void {
    checkName(input.name);
    if (this.#store.runners.get(input.name))
      throw new DroverError("conflict", `runner "${input.name}" exists already (use drover runner edit)`);
    checkDir(input.dir);
    refuseRunnerSecrets(input);
  }

  /** What `edit` checks before changing anything: the runner exists, a new directory exists. */
  validateEdit(name: string, changes: Omit<RunnerInput, "name">): RunnerRecord {
    const runner = this.get(name);
    checkDir(changes.dir);
    refuseRunnerSecrets({ name, ...changes });
    return runner;
  }

  create(input: RunnerInput): RunnerRecord {
    this.validateCreate(input);
    this.#store.runners.insert(
      {
        name: input.name,
        description: input.description ?? "",
        ...(input.model ? { model: input.model } : {}),
        ...(input.agent ? { agent: input.agent } : {}),
        ...(input.dir ? { dir: path.resolve(input.dir) } : {}),
        instructions: input.instructions ?? "",
        settings: input.settings ?? {},
      },
      this.#clock.now(),
    );
    return this.#sync(input.name);
  }

  edit(name: string, changes: Omit<RunnerInput, "name">): RunnerRecord {
    const before = this.validateEdit(name, changes);
    this.#store.runners.update(
      name,
      { ...changes, ...(changes.dir ? { dir: path.resolve(changes.dir) } : {}) },
      this.#clock.now(),
    );
    const after = this.#sync(name);
    // Moved to another directory: drover's unchanged agent file in the old one goes.
    if (before.dir && before.dir !== after.dir) removeAgentFile(before.dir, name);
    return after;
  }

  get(name: string): RunnerRecord {
    const runner = this.#store.runners.get(name);
    if (!runner) throw new DroverError("not_found", `no runner "${name}" (see drover runner list)`);
    return runner;
  }

  list(): RunnerRecord[] {
    return this.#store.runners.list();
  }

  runs(name: string, limit = 20): RunnerRunRecord[] {
    this.get(name);
    return this.#store.runners.runs(name, limit);
  }

  destroy(name: string): DestroyedRunner {
    const runner = this.get(name);
    if (runner.activeRun && runIsLive(this.#store, runner.activeRun)) {
      throw new DroverError("conflict", `runner "${name}" is running (${runner.activeRun}); stop it first`);
    }
    this.#store.runners.delete(name);
    rmSync(path.join(this.#home, name), { recursive: true, force: true });
    // Only a file drover wrote and nobody changed since goes with the runner; a person's file stays.
    return { name, ...(runner.dir ? { agentFile: removeAgentFile(runner.dir, name) } : {}) };
  }

  /** The runner's agent file in its directory and whose it is (undefined without a directory). */
  agentFileState(name: string): AgentFileState | undefined {
    const runner = this.get(name);
    return runner.dir ? agentFileState(runner.dir, name) : undefined;
  }

  /** The OpenCode agent definition of a runner (markdown with frontmatter). */
  agentFile(name: string): string {
    const runner = this.get(name);
    return renderAgentFile(toAgent(runner));
  }

  /**
   * Creates runners from `.opencode/agents/*.md` (or `.opencode/agent/`) under `dir`. The files stay
   * the user's: drover never rewrites or deletes them.
   */
  importAgents(dir: string): ImportedAgents {
    const { agents, skipped } = readAgentFiles(dir);
    const imported: RunnerRecord[] = [];
    for (const agent of agents) {
      if (!namePattern.test(agent.name)) {
        skipped.push({ file: agent.file, reason: `"${agent.name}" is not a valid runner name` });
      } else if (this.#store.runners.get(agent.name)) {
        skipped.push({ file: agent.file, reason: `runner "${agent.name}" exists already` });
      } else if (agentSecretReason(agent)) {
        skipped.push({ file: agent.file, reason: agentSecretReason(agent) as string });
      } else {
        imported.push(
          this.create({
            name: agent.name,
            description: agent.description,
            ...(agent.model ? { model: agent.model } : {}),
            instructions: agent.instructions,
            settings: agent.settings,
            dir,
          }),
        );
      }
    }
    return { imported, skipped };
  }

  /** Runs a prompt as the runner (see runAsRunner): serialized per runner, with its memory and mail. */
  run(name: string, prompt: string, options: RunnerRunOptions = {}): Promise<RunnerRunResult> {
    const deps = {
      store: this.#store,
      supervisor: this.#supervisor,
      memory: this.#memory,
      mailbox: this.#mailbox,
      clock: this.#clock,
      config: this.#config,
      get: (runner: string) => this.get(runner),
      sync: (runner: string) => this.#sync(runner),
    };
    return runAsRunner(deps, name, prompt, options);
  }

  /** Aborts the runner's live run (in this process, or by signalling the process that runs it). */
  stop(name: string): boolean {
    const runner = this.get(name);
    if (!runner.activeRun) return false;
    const run = this.#store.runners.getRun(runner.activeRun);
    if (!run) return false;
    if (run.pid === process.pid) {
      if (run.batchId) this.#supervisor?.cancelBatch(run.batchId, `runner ${name} stopped`);
      return true;
    }
    try {
      process.kill(run.pid, "SIGINT");
      return true;
    } catch {
      return false;
    }
  }

  /** Writes AGENTS.md and the agent file, reading back edits a user made to AGENTS.md first. */
  #sync(name: string): RunnerRecord {
    let runner = this.get(name);
    const folder = path.join(this.#home, name);
    const instructionsFile = path.join(folder, "AGENTS.md");
    mkdirSync(folder, { recursive: true });
    if (existsSync(instructionsFile)) {
      const onDisk = readFileSync(instructionsFile, "utf8");
      if (
        onDisk.trim() !== runner.instructions.trim() &&
        this.#fileIsNewer(instructionsFile, runner.updatedAt)
      ) {
        this.#store.runners.update(name, { instructions: onDisk }, this.#clock.now());
        runner = this.get(name);
      }
    }
    writeFileSync(
      instructionsFile,
      runner.instructions.endsWith("\n") || !runner.instructions
        ? runner.instructions
        : `${runner.instructions}\n`,
    );
    writeFileSync(
      path.join(folder, "config.json"),
      `${JSON.stringify({ ...runner, instructions: undefined }, null, 2)}\n`,
    );
    if (runner.dir) writeAgentFile(runner.dir, name, renderAgentFile(toAgent(runner)));
    return runner;
  }

  #fileIsNewer(file: string, than: number): boolean {
    try {
      return Math.floor(statSync(file).mtimeMs) > than;
    } catch {
      return false;
    }
  }
}

function checkName(name: string): void {
  if (!namePattern.test(name)) {
    throw new DroverError(
      "bad_input",
      `runner name "${name}": start with a letter; then letters, digits, "_" or "-" (40 at most)`,
    );
  }
}

function checkDir(dir: string | undefined): void {
  if (dir && !existsSync(dir)) throw new DroverError("bad_input", `--dir: directory does not exist: ${dir}`);
}

function toAgent(runner: RunnerRecord): AgentDefinition {
  return {
    name: runner.name,
    description: runner.description,
    ...(runner.model ? { model: runner.model } : {}),
    instructions: runner.instructions,
    settings: runner.settings,
  };
}
