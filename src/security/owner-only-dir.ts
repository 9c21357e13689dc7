import { chmodSync, mkdirSync, statSync } from "node:fs";

/**
 * Creates the folder if missing and makes it owner-only (0700), tightening folders that older
 * versions created with the default mode: drover's state dir holds prompts, transcripts, the API
 * token and engine homes. chmod, not mkdir's mode, so the umask cannot widen it. A sticky folder
 * (like /tmp) is shared by design and is left as it is.
 */
export function ensureOwnerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o1000) === 0) chmodSync(dir, 0o700);
}
