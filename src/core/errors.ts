/** Stable codes for every error drover reports; the CLI and HTTP map these in one place each. */
export const errorCodes = [
  "bad_input",
  "bad_config",
  "not_found",
  "conflict",
  "engine_start_failed",
  "engine_unavailable",
  "engine_crashed",
  "provider_unreachable",
  "unknown_model",
  "model_error",
  "rate_limited",
  "timeout",
  "cancelled",
  "storage_failed",
  "queue_unreachable",
  "version_mismatch",
  "internal",
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** One problem in user input: where it is and what is wrong. */
export interface InputIssue {
  /** File, flag or config source the problem is in. */
  source: string;
  /** Dotted path of the field, e.g. `tasks[3].prompt`; empty for the whole input. */
  path: string;
  message: string;
}

/** The one error type drover throws; failed attempts are data, not exceptions. */
export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly issues: InputIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; issues?: InputIssue[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "DroverError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.issues = options.issues ?? [];
  }
}

/** Builds a bad-input error listing every issue found, so the user fixes them in one pass. */
export function badInput(code: "bad_input" | "bad_config", issues: InputIssue[]): DroverError {
  const lines = issues.map(
    (issue) => `  ${issue.source}${issue.path ? ` ${issue.path}` : ""}: ${issue.message}`,
  );
  const what = code === "bad_config" ? "invalid configuration" : "invalid input";
  return new DroverError(code, `${what}:\n${lines.join("\n")}`, { issues });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
