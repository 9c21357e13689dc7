import type { ClaudeOAuth } from "../../security/claude-oauth.ts";
import type { AttemptRequest } from "../contract.ts";
import type { CliStream } from "./cli-stream.ts";

/** Where a model request of a CLI goes: drover's scripted model, or a provider through the gateway. */
export interface ModelTarget {
  /** The base URL the CLI is given (its own API path is appended by the CLI). */
  baseURL: string;
  /** What the CLI sends as its key: a gateway credential (never a provider key), or a dummy. */
  key: string;
  /** The model id the CLI asks for. */
  model: string;
  /** Whether requests cost nothing (the scripted model): the CLI's own price estimate is dropped. */
  free: boolean;
  /** A Claude subscription: the CLI signs in with it and talks to Anthropic itself (no gateway). */
  oauth?: ClaudeOAuth;
}

/** What one CLI (Claude Code, Codex) needs to be run as an engine. */
export interface CliDialect {
  /** The engine name (`claude`, `codex`). */
  name: string;
  /** The binary's name on PATH / in node_modules/.bin. */
  binName: string;
  /** How to install it, for the "not installed" error. */
  installHint: string;
  /** The providers (drover's `provider/model` prefix) whose models this CLI can call. */
  providers: readonly string[];
  /** The CLI takes drover's `provider/model` as it is (its own config routes it: OpenCode). */
  passModel?: boolean;
  /** The CLI can sign in with a Claude subscription (Claude Code): Anthropic work then uses it. */
  oauth?: boolean;
  /**
   * Without a structured-output option: the prompt of a last turn in the same session that asks
   * for the report as JSON (read from that turn's final text).
   */
  reportTurn?(schema: Record<string, unknown>): string;
  /** The process's arguments for this attempt (the prompt included, unless `stdin` gives it). */
  args(request: AttemptRequest, target: ModelTarget, work: { home: string; reportFile?: string }): string[];
  /** The prompt on standard input instead (then closed): for a CLI that alters it as an argument. */
  stdin?(request: AttemptRequest): string;
  /** Environment variables pointing the CLI at the target (and bounding its own retries by the request's). */
  env(target: ModelTarget, home: string, request: AttemptRequest): Record<string, string>;
  /**
   * Arguments of a run made once in a new home before its first attempt, alone: OpenCode creates
   * and migrates its database on first use, and first runs started at once race on that.
   */
  setupArgs?: readonly string[];
  /** Reads one line of its JSON output into the stream. */
  readLine(line: string, stream: CliStream): void;
}
