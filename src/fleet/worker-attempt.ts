import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { DroverEventBody } from "../core/events.ts";
import { every } from "../core/every.ts";
import { zeroTokens } from "../core/liveness.ts";
import { EngineName } from "../core/task-spec.ts";
import type { AttemptResult, AttemptStop, Engine } from "../engines/contract.ts";
import type { EngineRegistry } from "../engines/registry.ts";
import type { ClaimedTask, Queue } from "../queue/contract/queue-contract.ts";
import type { FleetLink } from "./fleet-link.ts";
import { type FleetAttempt, fleetAttemptSchema, fleetRecordTtlSeconds } from "./fleet-protocol.ts";

/** What running one claimed attempt needs from its worker. */
export interface WorkerAttemptContext {
  link: FleetLink;
  workerId: string;
  host: string;
  engines: EngineRegistry;
  clock: Clock;
  leaseTtlMs: number;
  /** Shown locally and sent to the daemon's store. */
  share(event: DroverEventBody): void;
  warn(error: unknown): void;
}

/**
 * Runs one attempt a worker claimed, holding its lease while it runs: renews it, stops when the
 * daemon cancels it or another worker took it over, and hands the result to the daemon (kept in
 * Redis first, so a daemon that is down collects it later) before completing the job. A job
 * claimed again after its first holder vanished follows that holder's session if it is this
 * worker's own and still alive, else starts fresh. On `shutdown` the job is put back at once.
 */
export async function runClaimedAttempt(
  ctx: WorkerAttemptContext,
  claimed: ClaimedTask,
  queue: Queue,
  controller: AbortController,
): Promise<void> {
  const { link, clock, leaseTtlMs } = ctx;
  const parsed = fleetAttemptSchema.safeParse(claimed.task.payload);
  if (!parsed.success) {
    ctx.warn(new Error(`dropped a job that is not a drover attempt: ${parsed.error.message}`));
    await queue.complete(claimed.lease);
    return;
  }
  const job = parsed.data;
  const ref = { batchId: job.batchId, taskId: job.taskId, attemptId: job.attemptId };
  const engine = engineOf(ctx.engines, job.engine);
  if (!engine) {
    await finish(ctx, queue, claimed, job, refused(`this worker has no engine "${job.engine}"`));
    return;
  }
  const how = await chooseHow(ctx, engine, job, claimed.claimCount);
  ctx.share({
    type: "fleet.attempt",
    ...ref,
    workerId: ctx.workerId,
    host: ctx.host,
    action: how.action,
    claimCount: claimed.claimCount,
    ...(how.detail ? { detail: how.detail } : {}),
  });
  let lost = false;
  const renew = every(
    clock,
    Math.max(100, Math.min(2_000, Math.floor(leaseTtlMs / 3))),
    () =>
      void queue.renewLease(claimed.lease, leaseTtlMs).then((renewed) => {
        if (renewed.ok || controller.signal.aborted) return;
        lost = renewed.reason === "lease_lost";
        controller.abort({
          kind: "cancel",
          message: lost ? "another worker took this attempt over" : "cancelled by the daemon",
        } satisfies AttemptStop);
      }, ctx.warn),
    ctx.warn,
  );
  let result: AttemptResult;
  try {
    result = await engine.runAttempt({
      ...ref,
      prompt: job.prompt,
      title: job.title,
      dir: job.dir,
      model: job.model,
      ...(job.agent ? { agent: job.agent } : {}),
      ...(job.system ? { system: job.system } : {}),
      files: how.mode === "prompt" && !how.sessionId ? job.files : [],
      ...(how.sessionId ? { sessionId: how.sessionId } : {}),
      ...(how.server ? { server: how.server } : {}),
      mode: how.mode,
      startedAt: job.startedAt,
      ...(job.reportSchema ? { reportSchema: job.reportSchema } : {}),
      ...(job.parkRateLimitAfterMs !== undefined ? { parkRateLimitAfterMs: job.parkRateLimitAfterMs } : {}),
      ...(job.maxFailedRequests !== undefined ? { maxFailedRequests: job.maxFailedRequests } : {}),
      ...(job.sandbox ? { sandbox: job.sandbox } : {}),
      ...(job.claude ? { claude: job.claude } : {}),
      ...(job.codex ? { codex: job.codex } : {}),
      ...(job.taskPrompt !== undefined ? { taskPrompt: job.taskPrompt } : {}),
      ...(job.repo ? { repo: job.repo } : {}),
      signal: controller.signal,
      onSession: (sessionId, server) => {
        const note = JSON.stringify({ workerId: ctx.workerId, sessionId, server });
        void link.redis
          .set(link.keys.session(job.attemptId), note, "EX", fleetRecordTtlSeconds)
          .catch(ctx.warn);
        void link
          .publish({ type: "session", ...ref, sessionId, handle: `${ctx.workerId}|${server}` })
          .catch(ctx.warn);
      },
      onProgress: (progress) => void link.publish({ type: "progress", ...ref, progress }).catch(ctx.warn),
      onWatchdog: (action) => ctx.share({ type: "watchdog.action", ...ref, ...action }),
    });
  } finally {
    renew.cancel();
  }
  if (lost) return;
  const stop = controller.signal.reason as AttemptStop | undefined;
  if (controller.signal.aborted && stop?.kind === "shutdown") {
    // This worker is stopping: the job goes back at once, for another worker (or this one, restarted).
    await link.redis.del(link.keys.session(job.attemptId)).catch(ctx.warn);
    await queue.retryAt(claimed.lease, Date.now());
    ctx.share({
      type: "fleet.attempt",
      ...ref,
      workerId: ctx.workerId,
      host: ctx.host,
      action: "released",
      claimCount: claimed.claimCount,
      detail: "the worker is stopping",
    });
    return;
  }
  await finish(ctx, queue, claimed, job, result);
}

async function finish(
  ctx: WorkerAttemptContext,
  queue: Queue,
  claimed: ClaimedTask,
  job: FleetAttempt,
  result: AttemptResult,
): Promise<void> {
  await ctx.link.publishResult({
    type: "result",
    batchId: job.batchId,
    taskId: job.taskId,
    attemptId: job.attemptId,
    result,
  });
  await queue.complete(claimed.lease);
}

interface How {
  mode: "prompt" | "follow";
  sessionId?: string;
  server?: string;
  action: "claimed" | "followed" | "restarted";
  detail?: string;
}

/** A first claim runs the job as sent; a re-claim follows this worker's own live session, else starts fresh. */
async function chooseHow(
  ctx: WorkerAttemptContext,
  engine: Engine,
  job: FleetAttempt,
  claimCount: number,
): Promise<How> {
  const sent: How = {
    mode: "prompt",
    ...(job.sessionId ? { sessionId: job.sessionId } : {}),
    ...(job.server ? { server: job.server } : {}),
    action: "claimed",
  };
  if (claimCount <= 1) return sent;
  try {
    const text = await ctx.link.redis.get(ctx.link.keys.session(job.attemptId));
    const note = text ? (JSON.parse(text) as { workerId?: string; sessionId?: string; server?: string }) : {};
    if (
      note.workerId === ctx.workerId &&
      note.sessionId &&
      (await engine.hasSession(note.sessionId, note.server))
    )
      return {
        mode: "follow",
        sessionId: note.sessionId,
        ...(note.server ? { server: note.server } : {}),
        action: "followed",
        detail: `following session ${note.sessionId}`,
      };
    if (job.sessionId) return sent;
    return {
      mode: "prompt",
      action: "restarted",
      detail: note.workerId ? `its first holder ${note.workerId} is gone; starting fresh` : "starting again",
    };
  } catch (error) {
    ctx.warn(error);
    return { ...sent, action: "restarted", detail: `starting fresh (${errorMessage(error)})` };
  }
}

function engineOf(engines: EngineRegistry, name: string): Engine | undefined {
  const known = EngineName.safeParse(name);
  if (!known.success || !engines.names().includes(known.data)) return undefined;
  return engines.get(known.data);
}

function refused(message: string): AttemptResult {
  return {
    status: "failed",
    failure: { type: "engine_unavailable", message, retryable: false },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  };
}
