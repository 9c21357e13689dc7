import type { DroverConfig } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { badInput, DroverError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { Outcome } from "../core/outcome.ts";
import { EngineName, SandboxProfile } from "../core/task-spec.ts";
import { type Mailbox, renderMail } from "../mailbox/mailbox.ts";
import type { MemoryService } from "../memory/memory-service.ts";
import { secretIssue } from "../security/secret-issue.ts";
import type { RunnerRecord, RunnerRunRecord, Store } from "../store/store.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { renderRunnerContext } from "./runner-context.ts";

/** The runner's engine and sandbox (`drover runner create --engine --sandbox`), kept in its settings. */
function engineOf(settings: Record<string, unknown>): {
  engine?: EngineName;
  sandbox?: SandboxProfile;
  tier?: string;
} {
  const engine = EngineName.safeParse(settings.engine);
  const sandbox = SandboxProfile.safeParse(settings.sandbox);
  return {
    ...(engine.success ? { engine: engine.data } : {}),
    ...(sandbox.success ? { sandbox: sandbox.data } : {}),
    ...(typeof settings.tier === "string" ? { tier: settings.tier } : {}),
  };
}

/** A runner's model: its own, else its tier's first candidate, else the config's. */
function runnerModel(
  runner: { model?: string; settings: Record<string, unknown> },
  config: DroverConfig,
): string {
  const tier =
    typeof runner.settings.tier === "string" ? config.routing.tiers[runner.settings.tier] : undefined;
  return runner.model ?? tier?.[0]?.model ?? config.model;
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

export interface RunnerRunOptions {
  continue?: boolean;
  wait?: boolean;
  timeoutMs?: number;
  /** Called with the run's batch once it is submitted (the run itself resolves when it ends). */
  onBatch?: (batchId: string) => void;
}

/** What one run of a runner needs: the store, the supervisor, and the runner's memory and mail. */
export interface RunnerRunDeps {
  store: Store;
  supervisor: Supervisor | undefined;
  memory: MemoryService;
  mailbox: Mailbox;
  clock: Clock;
  config: DroverConfig;
  /** The runner, or a not_found error. */
  get(name: string): RunnerRecord;
  /** Brings AGENTS.md and the agent file in line with the record (reading back AGENTS.md edits). */
  sync(name: string): RunnerRecord;
}

/**
 * Runs a prompt as the runner, as a one-task batch through the supervisor. Runs of one runner are
 * serialized by a lock in the store: with `wait`, a second run waits for the first; otherwise it is
 * refused with a clear message.
 */
export async function runAsRunner(
  deps: RunnerRunDeps,
  name: string,
  prompt: string,
  options: RunnerRunOptions = {},
): Promise<RunnerRunResult> {
  const secret = secretIssue({
    source: `runner "${name}"`,
    path: "prompt",
    what: `the prompt for runner "${name}"`,
    text: prompt,
  });
  if (secret) throw badInput("bad_input", [secret]);
  const supervisor = deps.supervisor;
  if (!supervisor)
    throw new DroverError("internal", "runner runs need the engine (createApp, not openState)");
  const runId = newId("run");
  const lockInput = { id: runId, prompt, continued: options.continue === true, pid: process.pid };
  for (;;) {
    const runner = deps.get(name);
    if (deps.store.runners.lock(name, lockInput, deps.clock.now())) break;
    const holder = runner.activeRun ? deps.store.runners.getRun(runner.activeRun) : undefined;
    if (runner.activeRun && !runIsLive(deps.store, runner.activeRun)) {
      // The run's process died: release its lock so the runner is not stuck forever.
      deps.store.runners.finish(name, runner.activeRun, { status: "failed" }, deps.clock.now());
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
  const runner = deps.sync(name);
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
    const mail = deps.mailbox.claimForRun(name, runId);
    const memories = deps.memory.recall({ namespace: name, query: prompt, limit: 5, shared: true });
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
          model: runnerModel(runner, deps.config),
          ...(runner.agent ? { agent: runner.agent } : {}),
          ...engineOf(runner.settings),
          files: [],
          timeoutMs: options.timeoutMs ?? deps.config.taskTimeout,
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
    deps.store.runners.attachBatch(runId, batchId);
    options.onBatch?.(batchId);
    await supervisor.whenBatchDone(batchId);
    const task = deps.store.getTask({ batchId, taskId: name });
    status = task?.state ?? "failed";
    outcome = task?.outcome;
    sessionId = task?.sessionId;
    server = task?.sessionServer;
    mailDelivered = deps.mailbox.settleRun(runId, status === "succeeded");
    for (const learning of status === "succeeded" ? (outcome?.learnings ?? []) : []) {
      try {
        if (
          !deps.memory.store({ namespace: name, content: learning, type: "learning", tags: ["learning"] })
            .duplicate
        )
          learningsStored++;
      } catch {
        // A learning that looks like a secret is dropped, never stored.
      }
    }
  } finally {
    if (status !== "succeeded") deps.mailbox.settleRun(runId, false);
    deps.store.runners.finish(
      name,
      runId,
      {
        status,
        ...(sessionId ? { sessionId } : {}),
        ...(server ? { server } : {}),
        ...(outcome ? { outcome } : {}),
      },
      deps.clock.now(),
    );
  }
  const run = deps.store.runners.getRun(runId) as RunnerRunRecord;
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

/** Whether a run is still running in a live process (a run whose process died holds its lock in vain). */
export function runIsLive(store: Store, runId: string): boolean {
  const run = store.runners.getRun(runId);
  if (run?.status !== "running") return false;
  try {
    process.kill(run.pid, 0);
    return true;
  } catch {
    return false;
  }
}
