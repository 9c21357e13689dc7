import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where a server's model-gateway credential lives, below its HOME. */
const credentialPath = [".config", "drover", "model-credential"] as const;

/** That file, relative to the server's HOME. */
export const modelCredentialPath = credentialPath.join("/");

/**
 * What OpenCode's config says for every provider's `apiKey`: OpenCode reads the file from the
 * server's own HOME when it loads its config, so neither OPENCODE_CONFIG_CONTENT nor the
 * environment carries even the credential (measured on OpenCode 1.18.33: `{file:~/…}` resolves
 * against `$HOME`).
 */
export const modelCredentialRef = `{file:~/${credentialPath.join("/")}}`;

/**
 * Issues a fresh model-gateway credential for the server about to start in this server home (the
 * slot `<root>/opencode-N`, whose HOME is `home/`), mode 0600. The previous server's credential
 * stops working: the gateway accepts only what the file holds now.
 */
export function issueModelCredential(homeDir: string): void {
  const file = path.join(homeDir, "home", ...credentialPath);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `gwc_${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
}

/**
 * The credentials of the servers this drover runs under `root` (the OpenCode engine root): one per
 * server home it has claimed (`drover.pid` holds its pid), adopted servers included.
 */
export function readModelCredentials(
  root: string,
  pid: number = process.pid,
): { server: string; credential: string }[] {
  let slots: string[];
  try {
    slots = readdirSync(root);
  } catch {
    return [];
  }
  const found: { server: string; credential: string }[] = [];
  for (const slot of slots) {
    const dir = path.join(root, slot);
    try {
      if (Number(readFileSync(path.join(dir, "drover.pid"), "utf8").trim()) !== pid) continue;
      const credential = readFileSync(path.join(dir, "home", ...credentialPath), "utf8").trim();
      if (credential) found.push({ server: slot, credential });
    } catch {
      // not a server home, or not one of ours
    }
  }
  return found;
}
