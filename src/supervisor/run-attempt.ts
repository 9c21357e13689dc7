import type { Clock } from "../core/clock.ts";
import { newId } from "../core/ids.ts";
import type { Outcome } from "../core/outcome.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import type { AttemptStop, Engine } from "../engines/contract.ts";
import type { Store } from "../store/store.ts";

/**
 * Runs one attempt of a running task through the engine, with its time limit, and records
 * session, progress and the result. Resolves with the task's final state.
 */
export async function runTaskAttempt(deps: {
  store: Store;
  engine: Engine;
  clock: Clock;
  batchId: string;
  spec: TaskSpec;
  /** Aborted (reason: AttemptStop) when the batch is cancelled. */
  batchSignal: AbortSignal;
}): Promise<"succeeded" | "failed" | "timed_out" | "cancelled"> {
  const { store, engine, clock, batchId, spec } = deps;
  const key = { batchId, taskId: spec.id };
  const attemptId = newId("att");
  const startedAt = clock.now();
  store.startAttempt(key, attemptId, engine.name);

  const controller = new AbortController();
  const stop = (reason: AttemptStop) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const timer = clock.setTimeout(
    () => stop({ kind: "timeout", message: `time limit of ${Math.round(spec.timeoutMs / 1000)}s reached` }),
    spec.timeoutMs,
  );
  const onBatchAbort = () => stop(deps.batchSignal.reason as AttemptStop);
  if (deps.batchSignal.aborted) onBatchAbort();
  deps.batchSignal.addEventListener("abort", onBatchAbort, { once: true });

  try {
    const result = await engine.runAttempt({
      taskId: spec.id,
      attemptId,
      prompt: spec.prompt,
      title: spec.title,
      dir: spec.dir,
      model: spec.model,
      ...(spec.agent ? { agent: spec.agent } : {}),
      files: spec.files,
      signal: controller.signal,
      onSession: (sessionId, server) => store.recordSession(key, attemptId, sessionId, server),
      onProgress: (progress) =>
        store.recordEvent({ type: "attempt.progress", ...key, attemptId, ...progress }),
    });
    const outcome: Outcome =
      result.status === "succeeded"
        ? { outcome: "complete", summary: result.finalText || "(no final text)" }
        : {
            outcome: "failed",
            summary: result.failure?.message ?? result.status,
            ...(result.failure ? { reason: result.failure.type } : {}),
          };
    store.finishAttempt(key, attemptId, {
      status: result.status,
      ...(result.failure ? { failure: result.failure } : {}),
      tokens: result.tokens,
      cost: result.cost,
      finalText: result.finalText,
      filesChanged: result.filesChanged,
      outcome,
      durationMs: clock.now() - startedAt,
      ...(result.failure ? { reason: result.failure.message } : {}),
    });
    return result.status;
  } finally {
    timer.cancel();
    deps.batchSignal.removeEventListener("abort", onBatchAbort);
  }
}
