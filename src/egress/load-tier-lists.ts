import { readFileSync } from "node:fs";
import path from "node:path";
import type { NetworkSettings } from "../config/network-settings.ts";
import type { InputIssue } from "../core/errors.ts";
import type { TierLists } from "./classify-host.ts";
import { defaultTiersText } from "./default-tiers.ts";
import { hostProblem, normalizeHost, parseTierList, type TierRule, tierOfSection } from "./tier-list.ts";

const defaultRules = parseTierList(defaultTiersText, "default list").rules;

/**
 * The tier lists of a config: `network.tiers` and `network.tiersFile` (the user's, winning), the
 * model providers' hosts and the default list. Problems (a bad line, an unreadable file, a bad
 * host in `network.tiers`) come back as input issues naming the file and line or config path.
 */
export function loadTierLists(options: {
  network: NetworkSettings;
  /** The project folder: `tiersFile` is relative to it. */
  root: string;
  /** Where the config came from, for issues about `network.tiers`. */
  configSource: string;
  providerHosts: readonly string[];
}): { lists: TierLists; issues: InputIssue[] } {
  const { network } = options;
  const user: TierRule[] = [];
  const issues: InputIssue[] = [];
  for (const [name, hosts] of Object.entries(network.tiers)) {
    const tier = tierOfSection(name);
    if (tier === undefined || !hosts) continue;
    hosts.forEach((host, index) => {
      const problem = hostProblem(host);
      if (problem)
        issues.push({
          source: options.configSource,
          path: `network.tiers.${name}[${index}]`,
          message: problem,
        });
      else user.push({ pattern: normalizeHost(host), tier, source: `network.tiers.${name}`, line: 0 });
    });
  }
  if (network.tiersFile) {
    const file = path.resolve(options.root, network.tiersFile);
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      issues.push({
        source: options.configSource,
        path: "network.tiersFile",
        message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      });
    }
    if (text !== undefined) {
      const parsed = parseTierList(text, file);
      user.push(...parsed.rules);
      for (const issue of parsed.issues)
        issues.push({
          source: `${issue.source}:${issue.line}`,
          path: "network.tiersFile",
          message: issue.message,
        });
    }
  }
  return {
    lists: { user, providers: options.providerHosts, defaults: defaultRules, unknown: network.unknown },
    issues,
  };
}

/** Hosts of the providers configured for OpenCode (`opencode.provider.*.options.baseURL`). */
export function providerHostsOf(opencode: Record<string, unknown>): string[] {
  const providers = (opencode.provider ?? {}) as Record<string, { options?: { baseURL?: unknown } }>;
  const hosts: string[] = [];
  for (const provider of Object.values(providers)) {
    const url = provider?.options?.baseURL;
    if (typeof url !== "string") continue;
    try {
      hosts.push(new URL(url).hostname);
    } catch {
      // Not a URL: the config check names it elsewhere.
    }
  }
  return hosts;
}
