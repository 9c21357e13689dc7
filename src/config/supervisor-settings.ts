import { z } from "zod";

/** Supervisor settings (capacity, stagger, retries, strategy): one zod schema each, defaults documented. */

export const Strategy = z.enum(["depth-first", "breadth-first"]);
export type Strategy = z.infer<typeof Strategy>;

export const CapacitySettings = z.strictObject({
  maxWorkers: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(8)
    .describe("Upper bound on attempts running at once."),
  ramPerWorkerMb: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Memory one running attempt costs; default: the engine's measured figure."),
  ramReserveMb: z.number().int().min(0).default(2048).describe("Memory always left free for the machine."),
  perDir: z.number().int().min(1).optional().describe("Most attempts at once in one directory."),
  perProvider: z
    .record(z.string(), z.number().int().min(1))
    .default({})
    .describe('Caps per provider or model, e.g. {"anthropic": 4, "openai/gpt-5": 2}.'),
});
export type CapacitySettings = z.infer<typeof CapacitySettings>;

export const StaggerSettings = z.strictObject({
  gapMs: z.number().int().min(0).default(100).describe("Fixed gap between two launches."),
  adaptive: z.boolean().default(true).describe("Lengthen the gap after recent failures and rate limits."),
  perFailureMs: z.number().int().min(0).default(2_000).describe("Extra gap per recent failure."),
  perRateLimitMs: z.number().int().min(0).default(5_000).describe("Extra gap per recent rate limit."),
  windowMs: z.number().int().min(0).default(300_000).describe("How far back failures and rate limits count."),
  maxGapMs: z.number().int().min(0).default(20_000),
  jitterMs: z.number().int().min(0).default(0).describe("Random extra up to this much."),
});
export type StaggerSettings = z.infer<typeof StaggerSettings>;

export const RetryPolicySettings = z.strictObject({
  maxAttempts: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(3)
    .describe("Fresh attempts per task (the first run counts)."),
  maxContinuations: z
    .number()
    .int()
    .min(0)
    .max(20)
    .default(2)
    .describe(
      "How often an attempt is continued in its own session (stream cut, idle without a report) before it counts as failed.",
    ),
  initialBackoff: z
    .number()
    .int()
    .min(0)
    .default(2_000)
    .describe("Backoff before the second fresh attempt, ms."),
  backoffFactor: z.number().min(1).max(10).default(2),
  maxBackoff: z.number().int().min(0).default(60_000).describe("Backoff cap, ms."),
  jitter: z.number().min(0).max(1).default(0.2).describe("± fraction of the backoff chosen at random."),
  providerRequests: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(8)
    .describe(
      "Failed model requests (5xx, connection errors) one task may spend, OpenCode's own retries included, before it fails with the provider's error.",
    ),
});
export type RetryPolicySettings = z.infer<typeof RetryPolicySettings>;
