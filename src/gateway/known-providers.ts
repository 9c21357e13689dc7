/** How a provider expects its API key on a request. */
export type AuthStyle = "bearer" | "x-api-key" | "x-goog-api-key" | "api-key";

/** A provider OpenCode ships whose upstream and key variables drover knows. */
export interface KnownProvider {
  /** The base URL the provider's SDK uses by default (OpenCode's `options.baseURL` replaces it whole). */
  upstream: string;
  auth: AuthStyle;
  /** Environment variables the key is read from, first set wins (models.dev's `env`). */
  keyVariables: readonly string[];
}

/**
 * Built-in OpenCode providers the gateway can stand in front of. Upstreams are the defaults of the
 * SDKs bundled in OpenCode 1.18.33 (found in its binary) or models.dev's `api` for the
 * OpenAI-compatible ones; each was checked to honour `options.baseURL` and `options.apiKey` from
 * the config (docs/security.md#model-gateway). Providers signing requests (Bedrock, Vertex) or
 * needing a resource name (Azure) are not here: the gateway cannot add their credentials.
 */
export const knownProviders: Readonly<Record<string, KnownProvider>> = {
  anthropic: {
    upstream: "https://api.anthropic.com/v1",
    auth: "x-api-key",
    keyVariables: ["ANTHROPIC_API_KEY"],
  },
  openai: { upstream: "https://api.openai.com/v1", auth: "bearer", keyVariables: ["OPENAI_API_KEY"] },
  google: {
    upstream: "https://generativelanguage.googleapis.com/v1beta",
    auth: "x-goog-api-key",
    keyVariables: ["GOOGLE_GENERATIVE_AI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"],
  },
  groq: { upstream: "https://api.groq.com/openai/v1", auth: "bearer", keyVariables: ["GROQ_API_KEY"] },
  mistral: { upstream: "https://api.mistral.ai/v1", auth: "bearer", keyVariables: ["MISTRAL_API_KEY"] },
  xai: { upstream: "https://api.x.ai/v1", auth: "bearer", keyVariables: ["XAI_API_KEY"] },
  deepseek: { upstream: "https://api.deepseek.com", auth: "bearer", keyVariables: ["DEEPSEEK_API_KEY"] },
  openrouter: {
    upstream: "https://openrouter.ai/api/v1",
    auth: "bearer",
    keyVariables: ["OPENROUTER_API_KEY"],
  },
  togetherai: { upstream: "https://api.together.xyz/v1", auth: "bearer", keyVariables: ["TOGETHER_API_KEY"] },
  cerebras: { upstream: "https://api.cerebras.ai/v1", auth: "bearer", keyVariables: ["CEREBRAS_API_KEY"] },
  deepinfra: {
    upstream: "https://api.deepinfra.com/v1",
    auth: "bearer",
    keyVariables: ["DEEPINFRA_API_KEY"],
  },
  perplexity: { upstream: "https://api.perplexity.ai", auth: "bearer", keyVariables: ["PERPLEXITY_API_KEY"] },
  "fireworks-ai": {
    upstream: "https://api.fireworks.ai/inference/v1",
    auth: "bearer",
    keyVariables: ["FIREWORKS_API_KEY"],
  },
  moonshotai: { upstream: "https://api.moonshot.ai/v1", auth: "bearer", keyVariables: ["MOONSHOT_API_KEY"] },
  zai: { upstream: "https://api.z.ai/api/paas/v4", auth: "bearer", keyVariables: ["ZHIPU_API_KEY"] },
  nvidia: {
    upstream: "https://integrate.api.nvidia.com/v1",
    auth: "bearer",
    keyVariables: ["NVIDIA_API_KEY"],
  },
  huggingface: { upstream: "https://router.huggingface.co/v1", auth: "bearer", keyVariables: ["HF_TOKEN"] },
};

/** The auth style of a provider configured with this AI SDK package (custom providers). */
export function authStyleForPackage(npm: string): AuthStyle | undefined {
  if (npm === "@ai-sdk/anthropic") return "x-api-key";
  if (npm === "@ai-sdk/google") return "x-goog-api-key";
  if (npm === "@ai-sdk/azure") return "api-key";
  if (npm === "@ai-sdk/amazon-bedrock" || npm.startsWith("@ai-sdk/google-vertex")) return undefined;
  // @ai-sdk/openai-compatible, @ai-sdk/openai and the OpenAI-shaped rest take a bearer token.
  return "bearer";
}

/** Every key variable of the providers above: no server needs one, since the gateway adds the keys. */
export function providerKeyVariables(): string[] {
  return [...new Set(Object.values(knownProviders).flatMap((provider) => provider.keyVariables))].sort();
}
