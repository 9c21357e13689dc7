import { badInput, type InputIssue } from "../core/errors.ts";
import { findSecretKinds } from "./secret-scan.ts";

/** A piece of user text to check before drover stores it or sends it to a model. */
export interface TextToScan {
  /** File, flag or request the text came from. */
  source: string;
  /** Dotted path of the field, e.g. `tasks[3].prompt`. */
  path: string;
  /** What the text is, for the message, e.g. `task "deploy" prompt`. */
  what: string;
  text: string;
  /** How the user can accept the text anyway, e.g. `set allowSecrets: true on the task`. */
  override?: string;
}

/**
 * An input issue when the text looks like it holds a secret. It names where the text is and the
 * kind of secret, never the value, so the refusal itself leaks nothing into terminals or logs.
 */
export function secretIssue(input: TextToScan): InputIssue | undefined {
  const kinds = findSecretKinds(input.text);
  if (kinds.length === 0) return undefined;
  const override = input.override ? `, or ${input.override} if it is meant` : "";
  return {
    source: input.source,
    path: input.path,
    message: `${input.what} looks like it contains a secret (${kinds.join(", ")}); keep secrets in the environment${override}`,
  };
}

/**
 * Refuses texts that look like they hold secrets: a `bad_input` error (exit 2, HTTP 400) listing
 * each one, so the user fixes them in one pass. Runner instructions, mail and memory use it.
 */
export function refuseSecrets(texts: readonly TextToScan[]): void {
  const issues = texts.flatMap((text) => secretIssue(text) ?? []);
  if (issues.length > 0) throw badInput("bad_input", issues);
}
