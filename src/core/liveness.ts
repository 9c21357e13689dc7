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
