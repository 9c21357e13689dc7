import { droverOpencodeKeys, type OpencodeSettings, scriptedModel } from "../../config/schema.ts";

export interface GenerateConfigInput {
  settings: OpencodeSettings;
  /** drover's default model, "provider/model". */
  model: string;
  /** Every model tasks may use; their providers are enabled. */
  models?: readonly string[];
  /** Base URL of the scripted model, when it runs. */
  scriptedBaseURL?: string;
}

/**
 * Builds the global OpenCode config drover hands every server through OPENCODE_CONFIG_CONTENT:
 * the user's `opencode` block (minus drover's own keys) deep-merged over drover's defaults, with
 * the scripted model registered as an OpenAI-compatible provider and providers locked down.
 */
export function generateOpencodeConfig(input: GenerateConfigInput): Record<string, unknown> {
  const user: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.settings)) {
    if (!(droverOpencodeKeys as readonly string[]).includes(key)) user[key] = value;
  }
  const providers: Record<string, unknown> = {};
  if (input.scriptedBaseURL) {
    const [providerId, modelId] = scriptedModel.split("/") as [string, string];
    providers[providerId] = {
      npm: "@ai-sdk/openai-compatible",
      name: "drover scripted model",
      options: { baseURL: input.scriptedBaseURL, apiKey: "drover-scripted" },
      // Two ids of the same script, so tier escalation can be rehearsed offline.
      models: Object.fromEntries(
        [modelId, `${modelId}-large`].map((id) => [
          id,
          {
            name: `drover ${id} model`,
            tool_call: true,
            limit: { context: 200_000, output: 8192 },
            cost: { input: 0, output: 0 },
          },
        ]),
      ),
    };
  }
  const defaults: Record<string, unknown> = {
    $schema: "https://opencode.ai/config.json",
    autoupdate: false,
    share: "disabled",
    model: input.model,
    provider: providers,
    permission: { question: "deny" },
  };
  const merged = deepMerge(defaults, user);
  if (merged.enabled_providers === undefined) {
    const configured = Object.keys((merged.provider as Record<string, unknown>) ?? {});
    const used = [input.model, ...(input.models ?? [])].map((model) => model.split("/")[0] as string);
    merged.enabled_providers = [...new Set([...configured, ...used])];
  }
  return merged;
}

export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Where the model gateway sends one provider, as far as the OpenCode config needs to know. */
export interface GatewayedProvider {
  provider: string;
  /** `<gateway>/p/<provider>`. */
  baseURL: string;
  /** The upstream the user configured (`options.baseURL`), probed by checkModels; never sent to OpenCode's SDKs. */
  probeURL?: string;
}

/**
 * Points each gatewayed provider at the model gateway: `options.baseURL` becomes the gateway's
 * route and `options.apiKey` the reference to the server's own credential, so no real key (and no
 * `{env:…}` that would need one) is left in what the servers get.
 */
export function pointProvidersAtGateway(
  config: Record<string, unknown>,
  providers: readonly GatewayedProvider[],
  credentialRef: string,
): Record<string, unknown> {
  const entries: Record<string, unknown> = { ...((config.provider as Record<string, unknown>) ?? {}) };
  for (const { provider, baseURL, probeURL } of providers) {
    const entry = isPlainObject(entries[provider]) ? entries[provider] : {};
    const options = isPlainObject(entry.options) ? entry.options : {};
    entries[provider] = {
      ...entry,
      options: {
        ...options,
        baseURL,
        apiKey: credentialRef,
        ...(probeURL ? { droverUpstream: withoutSecrets(probeURL) } : {}),
      },
    };
  }
  return { ...config, provider: entries };
}

/** A URL without user info or query, which could carry a key. */
function withoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString().replace(/\/+$/, "");
  } catch {
    return "";
  }
}
