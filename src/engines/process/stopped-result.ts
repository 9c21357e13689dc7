import type { AttemptResult, AttemptStop } from "../contract.ts";

/** The result of an attempt drover stopped: timed out, or cancelled (a shutdown hands it back as cancelled). */
export function stoppedResult(
  stop: AttemptStop,
  finalText: string,
): Pick<AttemptResult, "status" | "failure" | "finalText"> {
  if (stop.kind === "timeout")
    return {
      status: "timed_out",
      failure: { type: "timeout", message: stop.message, retryable: true },
      finalText,
    };
  return {
    status: "cancelled",
    failure: { type: "cancelled", message: stop.message, retryable: false },
    finalText,
  };
}
