import { isIP } from "node:net";
import { normalizeHost, type Tier, type TierRule } from "./tier-list.ts";

export type EgressDecision = "allow" | "flag" | "deny";

export interface HostClass {
  host: string;
  tier: Tier;
  decision: EgressDecision;
  /** The rule that matched, in words: `github.com (default list:5)`, `raw IP address`, `unknown host`. */
  rule: string;
}

/** The tier lists drover classifies with, most specific first. */
export interface TierLists {
  /** The user's own: `network.tiersFile` and `network.tiers`; these win over every rule below. */
  user: readonly TierRule[];
  /** The configured model providers' hosts: tier 3. */
  providers: readonly string[];
  /** The list drover ships. */
  defaults: readonly TierRule[];
  /** What tier 4 (unknown) gets: allowed and flagged, or denied. */
  unknown: "allow" | "deny";
}

const anonymousSuffixes = [".onion", ".i2p", ".bit"];

/**
 * The tier of a host and what happens to a connection to it. Order: the user's lists (exact,
 * then `*.` wildcards walking up), model providers, raw IP addresses (5), anonymity network
 * names (5), the default list, else unknown (4). Tier 5 is denied; 4 flagged (or denied with
 * `network.unknown: deny`); 1–3 allowed.
 */
export function classifyHost(rawHost: string, lists: TierLists): HostClass {
  const host = normalizeHost(rawHost);
  const decide = (tier: Tier, rule: string): HostClass => ({
    host,
    tier,
    rule,
    decision: tier === 5 ? "deny" : tier === 4 ? (lists.unknown === "deny" ? "deny" : "flag") : "allow",
  });
  const user = matchRule(host, lists.user);
  if (user) return decide(user.tier, describeRule(user));
  if (lists.providers.some((provider) => normalizeHost(provider) === host))
    return decide(3, "a configured model provider");
  if (isIP(host)) return decide(5, "raw IP address");
  const anonymous = anonymousSuffixes.find((suffix) => host.endsWith(suffix));
  if (anonymous) return decide(5, `anonymity network name (${anonymous})`);
  const listed = matchRule(host, lists.defaults);
  if (listed) return decide(listed.tier, describeRule(listed));
  return decide(4, "unknown host (in no list)");
}

/** The exact entry for `host`, else the nearest `*.` wildcard walking up its labels. */
function matchRule(host: string, rules: readonly TierRule[]): TierRule | undefined {
  const exact = rules.find((rule) => rule.pattern === host);
  if (exact) return exact;
  if (isIP(host)) return undefined;
  const labels = host.split(".");
  for (let i = 1; i < labels.length; i++) {
    const wildcard = `*.${labels.slice(i).join(".")}`;
    const found = rules.find((rule) => rule.pattern === wildcard);
    if (found) return found;
  }
  return undefined;
}

function describeRule(rule: TierRule): string {
  return rule.line > 0 ? `${rule.pattern} (${rule.source}:${rule.line})` : `${rule.pattern} (${rule.source})`;
}
