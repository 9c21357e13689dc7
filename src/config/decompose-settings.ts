import { z } from "zod";
import { durationSchema } from "../core/duration.ts";

/** How briefs are split into task graphs (`drover decompose`, `decompose: true` on a task). */
export const DecomposeSettings = z.strictObject({
  model: z
    .string()
    .regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"')
    .optional()
    .describe(
      'The (cheap) model that classifies and splits briefs, "provider/model"; default: the first model of modelTiers, else model.',
    ),
  depth: z
    .number()
    .int()
    .min(1)
    .max(6)
    .default(3)
    .describe("How many levels deep a brief may be split (1: only the brief itself is split)."),
  max: z.number().int().min(2).max(10).default(5).describe("Most subtasks one split may give (at least 2)."),
  timeout: durationSchema
    .default(120_000)
    .describe('Time limit for one classification or split by the model (e.g. "2m").'),
});
export type DecomposeSettings = z.infer<typeof DecomposeSettings>;

/** The model decomposition uses: `decompose.model`, else the cheapest tier's first model, else `model`. */
export function decomposeModel(config: {
  model: string;
  modelTiers: readonly (readonly string[])[];
  decompose: DecomposeSettings;
}): string {
  return config.decompose.model ?? config.modelTiers[0]?.[0] ?? config.model;
}
