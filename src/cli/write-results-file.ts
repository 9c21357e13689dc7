import { writeFileSync } from "node:fs";
import { redactSecretsIn } from "../security/redact-value.ts";
import type { BatchResults } from "../supervisor/batch-results.ts";

/**
 * Writes `results.json`: the one writer of the file, in-process or through the daemon. Every string
 * passes redaction first (outcomes quote agents; a prompt let through with `allowSecrets` is shown
 * redacted). Returns what was written, for the summary.
 */
export function writeResultsFile(file: string, results: BatchResults): BatchResults {
  const written = redactSecretsIn(results);
  writeFileSync(file, `${JSON.stringify(written, null, 2)}\n`);
  return written;
}
