import { refuseSecrets, type TextToScan } from "../security/secret-issue.ts";
import { findSecret } from "../security/secret-scan.ts";

/** A runner's texts that reach a model with every run: its instructions and description. */
interface RunnerTexts {
  name: string;
  description?: string;
  instructions?: string;
  /** The user accepts texts that look like they contain a secret. */
  allowSecrets?: boolean;
  /** The file the instructions were read from, named in the refusal. */
  instructionsFile?: string;
}

/**
 * Refuses (exit 2, HTTP 400) a runner's instructions or description that look like they hold a
 * secret, naming the file (or runner), the field and the kind, never the value.
 */
export function refuseRunnerSecrets(input: RunnerTexts): void {
  if (input.allowSecrets) return;
  const runner = `runner "${input.name}"`;
  const override = 'pass --allow-secrets ("allowSecrets": true in the API)';
  const texts: TextToScan[] = [];
  if (input.instructions !== undefined)
    texts.push({
      source: input.instructionsFile ?? runner,
      path: "instructions",
      what: `the instructions text of ${runner}`,
      text: input.instructions,
      override,
    });
  if (input.description !== undefined)
    texts.push({
      source: runner,
      path: "description",
      what: `the description of ${runner}`,
      text: input.description,
      override,
    });
  refuseSecrets(texts);
}

/** Why an agent file is not imported as a runner when it holds a secret, or undefined. */
export function agentSecretReason(agent: { instructions: string; description: string }): string | undefined {
  const kind = findSecret(agent.instructions) ?? findSecret(agent.description);
  return kind
    ? `it looks like it contains a secret (${kind}); create the runner with --allow-secrets`
    : undefined;
}
