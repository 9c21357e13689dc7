import { DroverError, type ErrorCode } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { AttemptFailure } from "../core/outcome.ts";
import type { AttemptResult, AttemptStop, Engine } from "../engines/contract.ts";
import { decomposePrompt } from "./decompose-prompt.ts";
import {
  type Classification,
  checkDecompositionReport,
  decompositionJsonSchema,
} from "./decomposition-report.ts";

/** Where and how the decomposition model is called. */
export interface ModelCall {
  engine: Engine;
  /** "provider/model". */
  model: string;
  /** A scratch directory the sessions run in (nothing there is the user's). */
  dir: string;
  timeoutMs: number;
  max: number;
  /** Files attached to every call (the task's own attachments: context for the split). */
  files?: readonly string[];
  /** Aborted (with an AttemptStop reason) to cancel the calls under way. */
  signal?: AbortSignal;
}

/** One brief to classify. */
export interface BriefToClassify {
  id: string;
  prompt: string;
  /** Titles of the briefs this one is part of, outermost first. */
  within: readonly string[];
}

/**
 * Asks the model whether a brief is atomic or composite (with its subtasks) through a
 * structured-output call. A report that does not check out is asked for once more, with the
 * problems named; a second bad one, or a failed call, is a DroverError saying what was wrong.
 */
export async function classifyBrief(call: ModelCall, brief: BriefToClassify): Promise<Classification> {
  let rejected: string[] | undefined;
  for (let turn = 1; turn <= 2; turn++) {
    const prompt = decomposePrompt({
      brief: brief.prompt,
      max: call.max,
      within: brief.within,
      ...(rejected ? { rejected } : {}),
    });
    const result = await askOnce(call, brief.id, prompt);
    if (result.status !== "succeeded") {
      const failure = result.failure ?? { type: "internal", message: "no result", retryable: false };
      if (turn === 2 || !failure.retryable || result.status === "cancelled")
        throw callFailed(call, brief.id, failure);
      rejected = [`the call failed (${failure.message})`];
      continue;
    }
    const checked = checkDecompositionReport(result.report, call.max);
    if ("classification" in checked) return checked.classification;
    rejected = checked.problems;
  }
  throw new DroverError(
    "model_error",
    `decomposing ${brief.id}: ${call.model} answered twice with a report that cannot be used: ${(rejected ?? []).join("; ")}`,
  );
}

async function askOnce(call: ModelCall, id: string, prompt: string): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    const stop: AttemptStop = { kind: "timeout", message: `no answer within ${call.timeoutMs} ms` };
    controller.abort(stop);
  }, call.timeoutMs);
  const cancel = () => controller.abort(call.signal?.reason);
  if (call.signal?.aborted) cancel();
  call.signal?.addEventListener("abort", cancel, { once: true });
  try {
    return await call.engine.runAttempt({
      taskId: `decompose-${id}`,
      attemptId: newId("att"),
      prompt,
      title: `drover decompose ${id}`,
      dir: call.dir,
      model: call.model,
      files: call.files ?? [],
      reportSchema: decompositionJsonSchema(call.max),
      signal: controller.signal,
      onSession: () => undefined,
      onProgress: () => undefined,
    });
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", cancel);
  }
}

const failureCodes: Partial<Record<AttemptFailure["type"], ErrorCode>> = {
  rate_limited: "rate_limited",
  timeout: "timeout",
  cancelled: "cancelled",
  engine_crashed: "engine_crashed",
  engine_unavailable: "engine_unavailable",
};

function callFailed(call: ModelCall, id: string, failure: AttemptFailure): DroverError {
  return new DroverError(
    failureCodes[failure.type] ?? "model_error",
    `decomposing ${id} with ${call.model}: ${failure.message}`,
    { retryable: failure.retryable },
  );
}
