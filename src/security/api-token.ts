import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureOwnerOnlyDir } from "./owner-only-dir.ts";

/** Where the daemon's bearer token lives: readable by the owner only. */
export function apiTokenFile(stateDir: string): string {
  return path.join(stateDir, "api-token");
}

/** Reads the API token, generating it (mode 0600) on first start. */
export function ensureApiToken(stateDir: string): string {
  const file = apiTokenFile(stateDir);
  ensureOwnerOnlyDir(stateDir);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return readFileSync(file, "utf8").trim();
  }
  const token = `drv_${randomBytes(24).toString("base64url")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

export function readApiToken(stateDir: string): string | undefined {
  try {
    return readFileSync(apiTokenFile(stateDir), "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Compares a presented token with the expected one in constant time: both are hashed first, so
 * `timingSafeEqual` always compares two 32-byte digests and the time taken tells nothing about
 * the expected token, not even its length.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || expected === "") return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
