import { z } from "zod";

// What models cost and how much may be spent: `prices` (USD per million tokens, by
// "provider/model") and `budget` (USD caps per task, batch, runner and UTC day).

const usdPerMillion = z
  .number({ error: "must be a number (USD per million tokens)" })
  .nonnegative("must not be below zero");

export const ModelPrice = z.strictObject({
  input: usdPerMillion.describe("USD per million input tokens."),
  output: usdPerMillion.describe("USD per million output (and reasoning) tokens."),
  cacheRead: usdPerMillion
    .optional()
    .describe("USD per million tokens read from the prompt cache (default: input)."),
  cacheWrite: usdPerMillion
    .optional()
    .describe("USD per million tokens written to the prompt cache (default: input)."),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

export const PriceSettings = z
  .record(z.string().regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"'), ModelPrice)
  .describe(
    'Prices by "provider/model" in USD per million tokens ({input, output, cacheRead, cacheWrite}); used where the engine reports no cost. Common models have defaults.',
  );
export type PriceSettings = z.infer<typeof PriceSettings>;

const usd = z.number({ error: "must be a number (USD)" }).nonnegative("must not be below zero");

export const BudgetSettings = z.strictObject({
  task: usd.optional().describe("Most a task may cost, over all its attempts (USD)."),
  batch: usd
    .optional()
    .describe("Most a batch may cost (USD); a task file's top-level `budget` sets its own."),
  runner: usd.optional().describe("Most a runner may cost over all its runs (USD)."),
  day: usd.optional().describe("Most everything may cost per UTC day, across the fleet (USD)."),
  onCap: z
    .enum(["park", "block"])
    .default("park")
    .describe(
      "A launch that would pass a cap: park the task until the budget allows it (an inbox item says so), or block it.",
    ),
  estimate: usd
    .default(0.05)
    .describe(
      "USD reserved for an attempt of a model that has no finished attempt yet; after one, the mean cost of its attempts.",
    ),
});
export type BudgetSettings = z.infer<typeof BudgetSettings>;

/** A task file's `budget`: a number is the batch's cap. */
export const BatchBudget = z
  .union([usd, z.strictObject({ batch: usd })])
  .transform((value) => (typeof value === "number" ? value : value.batch))
  .describe("This batch's budget in USD (a number, or { batch: USD }); overrides the config's budget.batch.");
