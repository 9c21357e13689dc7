import { DroverError, type ErrorCode } from "../core/errors.ts";

export const exitCodes = {
  ok: 0,
  notAllSucceeded: 1,
  badInput: 2,
  interrupted: 130,
} as const;

const inputCodes: readonly ErrorCode[] = [
  "bad_input",
  "bad_config",
  "unknown_model",
  "provider_unreachable",
  "queue_unreachable",
  "version_mismatch",
];

/** The one place that maps an error to a process exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof DroverError && inputCodes.includes(error.code)) return exitCodes.badInput;
  return exitCodes.notAllSucceeded;
}
