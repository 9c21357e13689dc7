import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DroverConfig } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { badInput, DroverError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { Outcome } from "../core/outcome.ts";
import { type Mailbox, renderMail } from "../mailbox/mailbox.ts";
import type { MemoryService } from "../memory/memory-service.ts";
import { secretIssue } from "../security/secret-issue.ts";
import type { RunnerRecord, RunnerRunRecord, Store } from "../store/store.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { type AgentDefinition, parseAgentFile, renderAgentFile } from "./agent-file.ts";
import { renderRunnerContext } from "./runner-context.ts";

const namePattern = /^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/;

export interface RunnerInput {
  name: string;
  description?: string;
  model?: string;
  agent?: string;
  dir?: string;
  instructions?: string;
  settings?: Record<string, unknown>;
}

export interface RunnerRunResult {
  run: RunnerRunRecord;
  status: string;
  outcome?: Outcome;
  sessionId?: string;
  mailDelivered: number;
  memoriesUsed: number;
  learningsStored: number;
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

  create(input: RunnerInput): RunnerRecord {
    checkName(input.name);
    if (this.#store.runners.get(input.name))
      throw new DroverError("conflict", `runner "${input.name}" exists already (use drover runner edit)`);
    if (input.dir && !existsSync(input.dir))
      throw new DroverError("bad_input", `--dir: directory does not exist: ${input.dir}`);
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
    this.get(name);
    if (changes.dir && !existsSync(changes.dir))
      throw new DroverError("bad_input", `--dir: directory does not exist: ${changes.dir}`);
    this.#store.runners.update(
      name,
      { ...changes, ...(changes.dir ? { dir: path.resolve(changes.dir) } : {}) },
      this.#clock.now(),
    );
    return this.#sync(name);
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

  destroy(name: string): void {
    const runner = this.get(name);
    if (runner.activeRun && this.#runIsLive(runner.activeRun)) {
      throw new DroverError("conflict", `runner "${name}" is running (${runner.activeRun}); stop it first`);
    }
    this.#store.runners.delete(name);
    rmSync(path.join(this.#home, name), { recursive: true, force: true });
    // The agent file drover kept in sync for this runner goes with it.
    if (runner.dir) rmSync(path.join(runner.dir, ".opencode", "agents", `${name}.md`), { force: true });
  }

  /** The OpenCode agent definition of a runner (markdown with frontmatter). */
  agentFile(name: string): string {
    const runner = this.get(name);
    return renderAgentFile(toAgent(runner));
  }

  /** Creates runners from `.opencode/agents/*.md` (or `.opencode/agent/`) under `dir`. */
  importAgents(dir: string): RunnerRecord[] {
    const created: RunnerRecord[] = [];
    for (const folder of [".opencode/agents", ".opencode/agent"]) {
      const full = path.join(dir, folder);
      if (!existsSync(full)) continue;
      for (const file of readdirSync(full).filter((entry) => entry.endsWith(".md"))) {
        const name = file.slice(0, -3);
        if (!namePattern.test(name) || this.#store.runners.get(name)) continue;
        const agent = parseAgentFile(name, readFileSync(path.join(full, file), "utf8"));
        created.push(
          this.create({
            name,
            description: agent.description,
            ...(agent.model ? { model: agent.model } : {}),
            instructions: agent.instructions,
            settings: agent.settings,
            dir,
          }),
        );
      }
    }
    return created;
  }

  /**
   * Runs a prompt as the runner. Runs of one runner are serialized: with `wait`, a second run
   * waits for the first; otherwise it is refused with a clear message.
   */
  async run(
    name: string,
    prompt: string,
    options: { continue?: boolean; wait?: boolean; timeoutMs?: number } = {},
  ): Promise<RunnerRunResult> {
    const secret = secretIssue({
      source: `runner "${name}"`,
      path: "prompt",
      what: `the prompt for runner "${name}"`,
      text: prompt,
    });
    if (secret) throw badInput("bad_input", [secret]);
    const supervisor = this.#supervisor;
    if (!supervisor)
      throw new DroverError("internal", "runner runs need the engine (createApp, not openState)");
    const runId = newId("run");
    const lockInput = { id: runId, prompt, continued: options.continue === true, pid: process.pid };
    for (;;) {
      const runner = this.get(name);
      if (this.#store.runners.lock(name, lockInput, this.#clock.now())) break;
      const holder = runner.activeRun ? this.#store.runners.getRun(runner.activeRun) : undefined;
      if (runner.activeRun && !this.#runIsLive(runner.activeRun)) {
        // The run's process died: release its lock so the runner is not stuck forever.
        this.#store.runners.finish(name, runner.activeRun, { status: "failed" }, this.#clock.now());
        continue;
      }
      if (!options.wait) {
        throw new DroverError(
          "conflict",
          `runner "${name}" is busy with run ${runner.activeRun ?? "?"} (started ${holder ? new Date(holder.startedAt).toISOString() : "just now"}); use --wait to queue behind it`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const runner = this.#sync(name);
    let status = "failed";
    let outcome: Outcome | undefined;
    let sessionId: string | undefined;
    let server: string | undefined;
    let mailDelivered = 0;
    let learningsStored = 0;
    let memoriesUsed = 0;
    try {
      if (options.continue && !runner.lastSessionId) {
        throw new DroverError(
          "bad_input",
          `runner "${name}" has no session to continue yet; run it once without --continue`,
        );
      }
      const mail = this.#mailbox.claimForRun(name, runId);
      const memories = this.#memory.recall({ namespace: name, query: prompt, limit: 5, shared: true });
      memoriesUsed = memories.length;
      const mailText = renderMail(mail);
      const system = renderRunnerContext({
        name,
        instructions: runner.instructions,
        memories,
        ...(mailText ? { mail: mailText } : {}),
      });
      const { batchId } = supervisor.submit({
        source: `runner:${name}`,
        specs: [
          {
            id: name,
            prompt,
            title: `runner/${name}`,
            dir: runner.dir ?? process.cwd(),
            model: runner.model ?? this.#config.model,
            ...(runner.agent ? { agent: runner.agent } : {}),
            files: [],
            timeoutMs: options.timeoutMs ?? this.#config.taskTimeout,
            dependsOn: [],
            system,
            ...(options.continue && runner.lastSessionId
              ? {
                  continueSession: {
                    sessionId: runner.lastSessionId,
                    ...(runner.lastServer ? { server: runner.lastServer } : {}),
                  },
                }
              : {}),
          },
        ],
      });
      this.#store.runners.attachBatch(runId, batchId);
      await supervisor.whenBatchDone(batchId);
      const task = this.#store.getTask({ batchId, taskId: name });
      status = task?.state ?? "failed";
      outcome = task?.outcome;
      sessionId = task?.sessionId;
      server = task?.sessionServer;
      mailDelivered = this.#mailbox.settleRun(runId, status === "succeeded");
      for (const learning of status === "succeeded" ? (outcome?.learnings ?? []) : []) {
        try {
          if (
            !this.#memory.store({ namespace: name, content: learning, type: "learning", tags: ["learning"] })
              .duplicate
          )
            learningsStored++;
        } catch {
          // A learning that looks like a secret is dropped, never stored.
        }
      }
    } finally {
      if (status !== "succeeded") this.#mailbox.settleRun(runId, false);
      this.#store.runners.finish(
        name,
        runId,
        {
          status,
          ...(sessionId ? { sessionId } : {}),
          ...(server ? { server } : {}),
          ...(outcome ? { outcome } : {}),
        },
        this.#clock.now(),
      );
    }
    const run = this.#store.runners.getRun(runId) as RunnerRunRecord;
    return {
      run,
      status,
      ...(outcome ? { outcome } : {}),
      ...(sessionId ? { sessionId } : {}),
      mailDelivered,
      memoriesUsed,
      learningsStored,
    };
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
    if (runner.dir) {
      const agents = path.join(runner.dir, ".opencode", "agents");
      mkdirSync(agents, { recursive: true });
      writeFileSync(path.join(agents, `${name}.md`), renderAgentFile(toAgent(runner)));
    }
    return runner;
  }

  #fileIsNewer(file: string, than: number): boolean {
    try {
      return Math.floor(statSync(file).mtimeMs) > than;
    } catch {
      return false;
    }
  }

  #runIsLive(runId: string): boolean {
    const run = this.#store.runners.getRun(runId);
    if (!run || run.status !== "running") return false;
    try {
      process.kill(run.pid, 0);
      return true;
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

function toAgent(runner: RunnerRecord): AgentDefinition {
  return {
    name: runner.name,
    description: runner.description,
    ...(runner.model ? { model: runner.model } : {}),
    instructions: runner.instructions,
    settings: runner.settings,
  };
}
