import { isIP } from "node:net";

/** Network tiers: 1 code hosts, 2 registries, 3 docs/model providers/CDNs, 4 unknown, 5 exfiltration. */
export type Tier = 1 | 2 | 3 | 4 | 5;

/** One line of a tier list: a host (`github.com`) or every subdomain of one (`*.github.com`). */
export interface TierRule {
  pattern: string;
  tier: Tier;
  /** Where the line came from: `default list`, a file's path, or a config path. */
  source: string;
  /** 1-based line in `source` (0 for config entries). */
  line: number;
}

export interface TierListIssue {
  source: string;
  line: number;
  message: string;
}

const hostLabel = "[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?";
const hostPattern = new RegExp(`^(\\*\\.)?${hostLabel}(\\.${hostLabel})*$`);

/**
 * Reads a tier list in the seeds' `network-tiers.conf` format: `[tier1]` … `[tier5]` sections,
 * one host per line (`*.example.com` for its subdomains), `#` comments, blank lines. Every bad line
 * is an issue naming the source and line; nothing of a list with issues should be used.
 */
export function parseTierList(text: string, source: string): { rules: TierRule[]; issues: TierListIssue[] } {
  const rules: TierRule[] = [];
  const issues: TierListIssue[] = [];
  let tier: Tier | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/#.*$/, "").trim();
    if (content === "") return;
    const section = /^\[(.*)\]$/.exec(content);
    if (section) {
      const name = (section[1] ?? "").trim().toLowerCase();
      const parsed = tierOfSection(name);
      if (parsed === undefined) {
        issues.push({ source, line, message: `unknown tier section [${name}]: use [tier1] … [tier5]` });
        tier = undefined;
      } else tier = parsed;
      return;
    }
    if (tier === undefined) {
      if (!issues.some((issue) => issue.line === line))
        issues.push({ source, line, message: `"${content}" is outside a [tierN] section` });
      return;
    }
    const problem = hostProblem(content);
    if (problem) issues.push({ source, line, message: problem });
    else rules.push({ pattern: normalizeHost(content), tier, source, line });
  });
  return { rules, issues };
}

/** `tier1` … `tier5` (also `1` … `5`) to its tier; anything else is unknown. */
export function tierOfSection(name: string): Tier | undefined {
  const match = /^(?:tier)?([1-5])$/.exec(name.trim().toLowerCase());
  return match ? (Number(match[1]) as Tier) : undefined;
}

/** Why a tier list entry is not a host, a `*.` wildcard or an IP address; undefined when it is one. */
export function hostProblem(entry: string): string | undefined {
  const host = normalizeHost(entry);
  if (isIP(host)) return undefined;
  if (/\s/.test(host)) return `"${entry}" has spaces: one host per line`;
  if (host.includes("/") || host.includes(":"))
    return `"${entry}" is not a host name: write the host only (no scheme, port or path)`;
  if (!hostPattern.test(host)) return `"${entry}" is not a host name or *.domain wildcard`;
  return undefined;
}

/** Lower case, no trailing dot, IPv6 without its brackets. */
export function normalizeHost(host: string): string {
  let out = host.trim().toLowerCase();
  if (out.startsWith("[") && out.endsWith("]")) out = out.slice(1, -1);
  if (out.endsWith(".")) out = out.slice(0, -1);
  return out;
}
