import { z } from "zod";

const hostList = z.array(z.string().min(1)).optional();

/** `network` in drover.json: the egress proxy's tiers and what unknown hosts get. */
export const NetworkSettings = z.strictObject({
  unknown: z
    .enum(["allow", "deny"])
    .default("allow")
    .describe("Tier 4 (a host in no list): allowed and flagged (an event and an inbox item), or denied."),
  tiersFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Your own tier list in the network-tiers.conf format ([tier1] … [tier5], one host or *.domain per line, # comments), relative to the project folder; it wins over the default list.",
    ),
  tiers: z
    .strictObject({ tier1: hostList, tier2: hostList, tier3: hostList, tier4: hostList, tier5: hostList })
    .default({})
    .describe(
      'Hosts per tier, e.g. {"tier1": ["git.example.com"], "tier5": ["*.evil.example"]}; wins over the default list.',
    ),
});
export type NetworkSettings = z.infer<typeof NetworkSettings>;
