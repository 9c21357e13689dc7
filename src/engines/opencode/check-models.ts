import { DroverError, type InputIssue } from "../../core/errors.ts";
import type { SandboxProfile } from "../../core/task-spec.ts";
import type { OpencodeServer } from "./opencode-server.ts";

export interface ModelUse {
  model: string;
  source: string;
  path: string;
  /**
   * The directory the model is used in: providers are listed there (a project's own config may add
   * some), which also boots OpenCode's instance for it, so the first session there starts at once.
   */
  dir?: string;
  /** The task's repository and sandbox profile (its server group). */
  repo?: string;
  sandbox?: SandboxProfile;
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
  const dirs = [...new Set(uses.map((use) => use.dir))];
  const knownIn = new Map(
    await Promise.all(
      dirs.map(async (dir) => {
        const listed = await server.client.config.providers(dir ? { directory: dir } : undefined);
        const known = new Map<string, Set<string>>();
        for (const provider of listed.data?.providers ?? []) {
          known.set(provider.id, new Set(Object.keys(provider.models ?? {})));
        }
        return [dir, known] as const;
      }),
    ),
  );
  const probed = new Map<string, Promise<string | undefined>>();
  for (const use of uses) {
    const [providerId, ...rest] = use.model.split("/") as [string, ...string[]];
    const modelId = rest.join("/");
    const known = knownIn.get(use.dir) ?? new Map<string, Set<string>>();
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

export interface AgentUse {
  agent: string;
  /** The directory the agent runs in: its `.opencode/agents/*.md` count too. */
  dir: string;
  source: string;
  path: string;
}

/**
 * Before anything runs: every agent must be one OpenCode knows in the directory it runs in
 * (`GET /agent?directory=`: built-in, configured, and that directory's `.opencode/agents/*.md`).
 */
export async function checkAgents(server: OpencodeServer, uses: readonly AgentUse[]): Promise<InputIssue[]> {
  const dirs = [...new Set(uses.map((use) => use.dir))];
  const listed = new Map(
    await Promise.all(dirs.map(async (dir) => [dir, await listAgents(server, dir)] as const)),
  );
  const issues: InputIssue[] = [];
  for (const use of uses) {
    const agents = listed.get(use.dir);
    if (!agents || agents.all.has(use.agent)) continue;
    issues.push({
      ...at(use),
      message: `unknown agent "${use.agent}" in ${use.dir} (agents there: ${agents.shown.join(", ") || "none"})`,
    });
  }
  return dedupe(issues);
}

/** Every agent name OpenCode accepts in `dir`, and the ones worth showing (not hidden). */
async function listAgents(
  server: OpencodeServer,
  dir: string,
): Promise<{ all: Set<string>; shown: string[] }> {
  const answer = await server.client.app.agents({ directory: dir });
  if (!answer.data) {
    throw new DroverError(
      "engine_unavailable",
      `OpenCode did not list its agents for ${dir}: ${JSON.stringify(answer.error ?? "no answer")}`,
    );
  }
  return {
    all: new Set(answer.data.map((agent) => agent.name)),
    shown: answer.data
      .filter((agent) => !agent.hidden)
      .map((agent) => agent.name)
      .sort(),
  };
}

function at(use: { source: string; path: string }): { source: string; path: string } {
  return { source: use.source, path: use.path };
}

/** The provider's own base URL: behind the model gateway, the upstream the user configured. */
function baseUrlOf(providerConfig: Record<string, unknown>, providerId: string): string | undefined {
  const provider = providerConfig[providerId] as
    | { options?: { baseURL?: unknown; droverUpstream?: unknown } }
    | undefined;
  const url = provider?.options?.droverUpstream ?? provider?.options?.baseURL;
  return typeof url === "string" && url ? url : undefined;
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
