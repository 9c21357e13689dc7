import { newId } from "../core/ids.ts";
import { agentReportJsonSchema } from "../core/outcome-schema.ts";
import type { AttemptStop } from "../engines/contract.ts";
import { chooseRoute, type RouteChoice } from "../routing/route.ts";
import type { AttemptKind } from "../store/store.ts";
import { buildTaskPrompt } from "./build-prompt.ts";
import { settleAttempt, settleFailed } from "./settle-attempt.ts";
import { checkRunningSpend } from "./spend-governor.ts";
import { engineFor, keyOf, type LiveBatch, type LiveTask, type SupervisorCore } from "./supervisor-core.ts";
import { moveTask } from "./task-bookkeeping.ts";
import { deliverAgain, finishWorkspace, prepareWorkspace } from "./task-workspace.ts";

// Starting an attempt (lease, attempt row, prompt, session carried over) and running it on the
// engine under the task's time limit; what happens after is settling's job.

/** Claims a ready task and starts its next attempt (fresh, continuation, recovery or escalation). */
export function launchAttempt(core: SupervisorCore, task: LiveTask, attemptId = newId("att")): void {
  const { config, store, clock } = core.deps;
  const route = routeAttempt(core, task);
  const engine = engineFor(core, task.spec, route.engine);
  const kind: AttemptKind = deliveryPending(core, task)
    ? "delivery"
    : (task.pendingKind ??
      (task.freshAttempts > 0 && task.model !== task.spec.model ? "escalation" : "fresh"));
  const isFresh = kind === "fresh" || kind === "escalation";
  const freshAttempts = isFresh ? task.freshAttempts + 1 : task.freshAttempts;
  moveTask(core, task, "running", undefined, {
    leaseOwner: core.instance,
    leaseUntil: clock.now() + config.leaseTtl,
    freshAttempts,
    ...(isFresh ? { continuations: 0, sessionId: null, sessionServer: null } : {}),
  });
  task.freshAttempts = freshAttempts;
  if (isFresh) {
    task.continuations = 0;
    delete task.sessionId;
    delete task.sessionServer;
  }
  const batch = core.batches.get(task.key.batchId) as LiveBatch;
  const prompt =
    task.pendingPrompt ?? buildTaskPrompt(task.spec, batch.specs, config.outcome === "structured");
  store.startAttempt(task.key, attemptId, engine.name, kind, task.model, prompt);
  store.recordEvent({ type: "route.chosen", ...task.key, attemptId, ...route });
  // A runner's `--continue` starts its first attempt in the runner's last session.
  const carried = isFresh && task.freshAttempts === 1 ? task.spec.continueSession : undefined;
  const sessionId = isFresh ? carried?.sessionId : task.sessionId;
  const server = isFresh ? carried?.server : task.sessionServer;
  runAttempt(core, task, attemptId, clock.now(), {
    prompt,
    mode: kind === "delivery" ? "deliver" : "prompt",
    ...(sessionId ? { sessionId } : {}),
    ...(server ? { server } : {}),
  });
}

/** Runs (or, in follow mode, re-follows) an attempt and settles its result; tracked in `core.running`. */
export function runAttempt(
  core: SupervisorCore,
  task: LiveTask,
  attemptId: string,
  startedAt: number,
  how: { prompt: string; mode: "prompt" | "follow" | "deliver"; sessionId?: string; server?: string },
): void {
  const { config, store, clock } = core.deps;
  const engine = engineFor(core, task.spec, task.engineName);
  const controller = new AbortController();
  task.controller = controller;
  const remaining = Math.max(1, task.spec.timeoutMs - (clock.now() - startedAt));
  const timer = clock.setTimeout(() => {
    if (!controller.signal.aborted) {
      controller.abort({
        kind: "timeout",
        message: `time limit of ${Math.round(task.spec.timeoutMs / 1000)}s reached`,
      } satisfies AttemptStop);
    }
  }, remaining);
  const id = keyOf(task.key);
  const structured = config.outcome === "structured";
  // A task with a worktree gets it ready first and its work committed after; others go straight on.
  const ran =
    how.mode === "deliver"
      ? deliverAgain(core, task)
      : task.spec.workspace && core.deps.workspaces
        ? prepareWorkspace(core, task)
            .then((prepared) => ("result" in prepared ? prepared.result : runOnEngine(prepared.dir)))
            .then((result) => finishWorkspace(core, task, result, structured))
        : runOnEngine(task.spec.dir);
  const run = ran
    .then((result) => settleAttempt(core, task, attemptId, startedAt, result))
    .catch((error: unknown) => settleFailed(core, task, attemptId, startedAt, error))
    // Even the fallback can fail (the batch's end cannot be written): a warning, never a rejection.
    .catch((error: unknown) => core.warn("attempt_settle", error, task.key.taskId))
    .finally(() => {
      timer.cancel();
      delete task.controller;
      core.running.delete(id);
      core.kick();
    });
  core.running.set(id, run);

  function runOnEngine(dir: string) {
    return engine.runAttempt({
      batchId: task.key.batchId,
      taskId: task.key.taskId,
      attemptId,
      prompt: how.prompt,
      taskPrompt: task.spec.prompt,
      title: task.spec.title,
      dir,
      model: task.model,
      ...(task.spec.agent ? { agent: task.spec.agent } : {}),
      ...(task.spec.system ? { system: task.spec.system } : {}),
      ...(task.spec.sandbox ? { sandbox: task.spec.sandbox } : {}),
      ...(task.spec.claude ? { claude: task.spec.claude } : {}),
      ...(task.spec.codex ? { codex: task.spec.codex } : {}),
      ...(task.spec.workspace ? { repo: task.spec.workspace.repo } : {}),
      files: how.mode === "prompt" && !how.sessionId ? task.spec.files : [],
      ...(how.sessionId ? { sessionId: how.sessionId } : {}),
      ...(how.server ? { server: how.server } : {}),
      mode: how.mode === "follow" ? "follow" : "prompt",
      startedAt,
      ...(config.outcome === "structured" ? { reportSchema: agentReportJsonSchema() } : {}),
      parkRateLimitAfterMs: config.parkRateLimitAfter,
      maxFailedRequests: Math.max(1, config.retry.providerRequests - task.failedRequests),
      signal: controller.signal,
      onSession: (sessionId, server) => {
        task.sessionId = sessionId;
        task.sessionServer = server;
        try {
          store.recordSession(task.key, attemptId, sessionId, server);
        } catch (error) {
          core.warn("record_session", error, task.key.taskId);
        }
      },
      onProgress: (progress) => {
        store.reportEvent({ type: "attempt.progress", ...task.key, attemptId, ...progress });
        try {
          checkRunningSpend(core, task, attemptId, progress.tokens, controller);
        } catch (error) {
          core.warn("spend_check", error, task.key.taskId);
        }
      },
      onWatchdog: (action) =>
        store.reportEvent({ type: "watchdog.action", ...task.key, attemptId, ...action }),
      ...(core.deps.askPermission
        ? {
            askPermission: (ask, signal) =>
              (core.deps.askPermission as NonNullable<typeof core.deps.askPermission>)(
                { ...task.key, attemptId, title: task.spec.title },
                ask,
                signal,
              ),
          }
        : {}),
    });
  }
}

/** A `retry --deliver` was asked for: the next attempt only delivers the branch again. */
export function deliveryPending(core: SupervisorCore, task: LiveTask): boolean {
  if (!task.spec.workspace) return false;
  return core.deps.store.workspaces.get(task.key.batchId, task.key.taskId)?.delivery?.state === "pending";
}

/**
 * The engine and model of the task's next attempt (routing tiers, the OAuth preference); a routed
 * engine that cannot run here (Claude Code not installed) gives way to the task's own.
 */
function routeAttempt(core: SupervisorCore, task: LiveTask): RouteChoice {
  const { config, engines, claudeOAuth } = core.deps;
  const at = {
    spec: task.spec,
    model: task.model,
    ...(task.candidate !== undefined ? { candidate: task.candidate } : {}),
  };
  let route = chooseRoute(config.routing, at, claudeOAuth?.());
  const unavailable = engines?.has(route.engine)
    ? engines.get(route.engine).unavailable?.(task.spec)
    : "missing";
  if (route.engine !== (task.spec.engine ?? "opencode") && unavailable) {
    const fallback = chooseRoute(config.routing, at, undefined);
    route = { ...fallback, reason: `${fallback.reason} (${route.engine} cannot run here)` };
  }
  task.engineName = route.engine;
  return route;
}
