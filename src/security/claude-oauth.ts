import { readFileSync } from "node:fs";
import path from "node:path";
import type { Clock } from "../core/clock.ts";

/** Claude subscription credentials found on this machine, and where. */
export interface ClaudeOAuth {
  /** `CLAUDE_CODE_OAUTH_TOKEN`, or the credentials file's path. */
  source: string;
  /** The token from the environment, passed on to Claude Code as it came. */
  token?: string;
  /** The Claude CLI's credentials file, copied into the engine's home for its processes. */
  file?: string;
}

/**
 * Claude subscription credentials: `CLAUDE_CODE_OAUTH_TOKEN`, else the Claude CLI's
 * `~/.claude/.credentials.json` (or under `CLAUDE_CONFIG_DIR`) holding an OAuth access token.
 */
export function findClaudeOAuth(env: NodeJS.ProcessEnv): ClaudeOAuth | undefined {
  const token = env.CLAUDE_CODE_OAUTH_TOKEN?.trim();
  if (token) return { source: "CLAUDE_CODE_OAUTH_TOKEN", token };
  const dir = env.CLAUDE_CONFIG_DIR ?? (env.HOME ? path.join(env.HOME, ".claude") : undefined);
  if (!dir) return undefined;
  const file = path.join(dir, ".credentials.json");
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { claudeAiOauth?: { accessToken?: unknown } };
    return typeof parsed.claudeAiOauth?.accessToken === "string" && parsed.claudeAiOauth.accessToken !== ""
      ? { source: file, file }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `findClaudeOAuth`, looked up at most once per `ttlMs` (default 5 minutes) on the clock. */
export function cachedClaudeOAuth(
  env: NodeJS.ProcessEnv,
  clock: Clock,
  ttlMs = 300_000,
): () => ClaudeOAuth | undefined {
  let checkedAt = Number.NEGATIVE_INFINITY;
  let found: ClaudeOAuth | undefined;
  return () => {
    const now = clock.now();
    if (now - checkedAt >= ttlMs) {
      found = findClaudeOAuth(env);
      checkedAt = now;
    }
    return found;
  };
}
