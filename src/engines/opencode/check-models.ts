import type { InputIssue } from "../../core/errors.ts";
import type { OpencodeServer } from "./opencode-server.ts";

export interface ModelUse {
  model: string;
  source: string;
  path: string;
}

/**
 * Before anything runs: every model must be one the server knows (`/config/providers`), and every
 * OpenAI-compatible provider with a `baseURL` must answer on it.
 */
export async function checkModels(
  server: OpencodeServer,
  uses: readonly ModelUse[],
  providerConfig: Record<string, unknown>,
): Promise<InputIssue[]> {
  const issues: InputIssue[] = [];
  const listed = await server.client.config.providers();
  const known = new Map<string, Set<string>>();
  for (const provider of listed.data?.providers ?? []) {
    known.set(provider.id, new Set(Object.keys(provider.models ?? {})));
  }
  const probed = new Map<string, Promise<string | undefined>>();
  for (const use of uses) {
    const [providerId, ...rest] = use.model.split("/") as [string, ...string[]];
    const modelId = rest.join("/");
    const models = known.get(providerId);
    if (!models) {
      const available = [...known.keys()].join(", ") || "none";
      issues.push({
        ...at(use),
        message: `unknown provider "${providerId}" in model "${use.model}" (configured providers: ${available})`,
      });
      continue;
    }
    if (!models.has(modelId)) {
      const sample = [...models].slice(0, 8).join(", ");
      issues.push({
        ...at(use),
        message: `unknown model "${use.model}" (provider ${providerId} has: ${sample || "no models"})`,
      });
      continue;
    }
    const baseURL = baseUrlOf(providerConfig, providerId);
    if (!baseURL) continue;
    if (!probed.has(providerId)) probed.set(providerId, probe(baseURL));
    const problem = await probed.get(providerId);
    if (problem)
      issues.push({
        ...at(use),
        message: `provider "${providerId}" is unreachable at ${baseURL}: ${problem}`,
      });
  }
  return dedupe(issues);
}

function at(use: ModelUse): { source: string; path: string } {
  return { source: use.source, path: use.path };
}

function baseUrlOf(providerConfig: Record<string, unknown>, providerId: string): string | undefined {
  const provider = providerConfig[providerId] as { options?: { baseURL?: unknown } } | undefined;
  const url = provider?.options?.baseURL;
  return typeof url === "string" ? url : undefined;
}

/** Any HTTP answer counts as reachable; only a failed connection is a problem. */
async function probe(baseURL: string): Promise<string | undefined> {
  try {
    await fetch(`${baseURL.replace(/\/+$/, "")}/models`, { signal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (error as Error).message;
  }
}

function dedupe(issues: InputIssue[]): InputIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.source}|${issue.path}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
