import { z } from "zod";

/** Why an attempt is (not) progressing right now (ARCHITECTURE.md glossary). */
export const Liveness = z.enum([
  "starting",
  "thinking",
  "in_tool",
  "awaiting_permission",
  "rate_limited",
  "stalled",
  "done",
]);
export type Liveness = z.infer<typeof Liveness>;

/** What the watchdog judged: a liveness state past its budget (or a pattern, like thrashing). */
export const WatchdogState = z.enum([
  "starting",
  "no_first_byte",
  "stalled",
  "tool_hung",
  "tool_limit",
  "awaiting_permission",
  "rate_limited",
  "thrashing",
]);
export type WatchdogState = z.infer<typeof WatchdogState>;

/** What the watchdog did about it. */
export const WatchdogRemedy = z.enum([
  /** Start the attempt again on another server. */
  "restart",
  /** Abort; the attempt fails retryable. */
  "retry",
  /** Abort and continue the same session ("continue where you stopped"). */
  "continue",
  /** Kill the tool's process tree, then continue the session with a note. */
  "kill_tool",
  /** Deny a permission request no one answered. */
  "deny",
  /** Parked until the provider's reset time. */
  "park",
  /** Told a person (inbox), nothing stopped. */
  "flag",
]);
export type WatchdogRemedy = z.infer<typeof WatchdogRemedy>;

/** Evidence for a liveness state or a watchdog action, as flat key → value pairs. */
export const WatchdogEvidence = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type WatchdogEvidence = z.infer<typeof WatchdogEvidence>;

export const TokenCounts = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  reasoning: z.number().int().nonnegative().default(0),
  cacheRead: z.number().int().nonnegative().default(0),
  cacheWrite: z.number().int().nonnegative().default(0),
});
export type TokenCounts = z.infer<typeof TokenCounts>;

export const zeroTokens = (): TokenCounts => ({
  input: 0,
  output: 0,
  reasoning: 0,
  cacheRead: 0,
  cacheWrite: 0,
});

export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
  };
}
