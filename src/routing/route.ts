import type { RouteCandidate, RoutingSettings } from "../config/routing-settings.ts";
import type { EngineName } from "../core/task-spec.ts";
import type { ClaudeOAuth } from "../security/claude-oauth.ts";

/** Which engine and model an attempt runs on, and why (a `route.chosen` event, `drover route explain`). */
export interface RouteChoice {
  tier?: string;
  /** Position of the candidate in its tier (0-based). */
  candidate?: number;
  engine: EngineName;
  model: string;
  reason: string;
}

/** Where a task stands in routing: its starting tier, its current model, and (when known) candidate. */
export interface RoutePosition {
  spec: { tier?: string; engine?: EngineName };
  model: string;
  candidate?: number;
}

/** The tiers' models, cheapest tier first (for escalation on a capability limit). */
export function tierModelLists(routing: RoutingSettings): string[][] {
  return Object.values(routing.tiers).map((candidates) => candidates.map((candidate) => candidate.model));
}

/** The tier (name, index, candidates) and candidate index the task is at now, if it runs by tier. */
function locate(routing: RoutingSettings, at: RoutePosition) {
  if (at.spec.tier === undefined) return undefined;
  const names = Object.keys(routing.tiers);
  const start = Math.max(0, names.indexOf(at.spec.tier));
  for (let index = start; index < names.length; index++) {
    const name = names[index] as string;
    const candidates = routing.tiers[name] as RouteCandidate[];
    const known =
      at.candidate !== undefined && candidates[at.candidate]?.model === at.model ? at.candidate : -1;
    const candidate = known >= 0 ? known : candidates.findIndex((entry) => entry.model === at.model);
    if (candidate >= 0) return { name, index, candidates, candidate };
  }
  return undefined;
}

/** Chooses the engine and model of the next attempt. */
export function chooseRoute(
  routing: RoutingSettings,
  at: RoutePosition,
  oauth: ClaudeOAuth | undefined,
): RouteChoice {
  const found = locate(routing, at);
  const entry = found?.candidates[found.candidate];
  const explicitEngine = entry?.engine ?? at.spec.engine;
  const base = found
    ? {
        tier: found.name,
        candidate: found.candidate,
        reason: `tier ${found.name}, candidate ${found.candidate + 1} of ${found.candidates.length}`,
      }
    : { reason: at.spec.tier ? `tier ${at.spec.tier}: ${at.model}` : `the task names ${at.model}` };
  const anthropic = at.model.startsWith("anthropic/");
  if (
    anthropic &&
    routing.preferOAuth &&
    oauth &&
    (explicitEngine === undefined || explicitEngine === "opencode")
  )
    return {
      ...base,
      engine: "claude",
      model: at.model,
      reason: `${base.reason}; Claude subscription credentials (${oauth.source}): Anthropic work runs on Claude Code`,
    };
  return { ...base, engine: explicitEngine ?? "opencode", model: at.model };
}

/**
 * Where a task goes after a provider error or rate limit: the next candidate of its tier, else the
 * first candidate of the next tier ("repeated failure"); undefined when it runs on a named model
 * or every tier is spent.
 */
export function fallbackAfter(
  routing: RoutingSettings,
  at: RoutePosition,
): { model: string; candidate: number; tier: string; escalated: boolean } | undefined {
  const found = locate(routing, at);
  if (!found) return undefined;
  const next = found.candidates[found.candidate + 1];
  if (next) return { model: next.model, candidate: found.candidate + 1, tier: found.name, escalated: false };
  const names = Object.keys(routing.tiers);
  const tier = names[found.index + 1];
  const first = tier ? routing.tiers[tier]?.[0] : undefined;
  return tier && first ? { model: first.model, candidate: 0, tier, escalated: true } : undefined;
}
