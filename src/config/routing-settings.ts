import { z } from "zod";
import { EngineName } from "../core/task-spec.ts";

// Model routing: named tiers of ordered candidates (an engine and a model). A task names a tier
// or a concrete model; provider errors fall back along the tier, repeated failure and a capability
// limit move to the next tier (tiers are cheapest first, in the order written).

const modelId = z.string().regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"');

export const RouteCandidate = z
  .union([modelId, z.strictObject({ model: modelId, engine: EngineName.optional() })])
  .transform((value) => (typeof value === "string" ? { model: value } : value));
export type RouteCandidate = z.infer<typeof RouteCandidate>;

export const RoutingSettings = z.strictObject({
  tiers: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, `_` and `-` only"),
      z.array(RouteCandidate).min(1),
    )
    .default({})
    .describe(
      'Tiers, cheapest first, each an ordered list of candidates: "provider/model" or {"engine", "model"}. A task names one with `tier:`.',
    ),
  preferOAuth: z
    .boolean()
    .default(true)
    .describe(
      "With Claude subscription credentials (~/.claude/.credentials.json or CLAUDE_CODE_OAUTH_TOKEN), Anthropic-model work runs on the claude engine.",
    ),
});
export type RoutingSettings = z.infer<typeof RoutingSettings>;
