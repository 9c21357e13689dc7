import type { ModelPrice, PriceSettings } from "../config/spend-settings.ts";
import type { TokenCounts } from "../core/liveness.ts";

/**
 * List prices (USD per million tokens) of common models, used when neither the engine reports a
 * cost nor the config names a price. drover's scripted model is free.
 */
export const defaultPrices: Readonly<Record<string, ModelPrice>> = {
  "drover/scripted": { input: 0, output: 0 },
  "drover/scripted-large": { input: 0, output: 0 },
  "anthropic/claude-opus-4-1": { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  "anthropic/claude-opus-4-5": { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  "anthropic/claude-sonnet-4-5": { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  "anthropic/claude-haiku-4-5": { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  "openai/gpt-5": { input: 1.25, output: 10, cacheRead: 0.125 },
  "openai/gpt-5-mini": { input: 0.25, output: 2, cacheRead: 0.025 },
  "openai/gpt-5-nano": { input: 0.05, output: 0.4, cacheRead: 0.005 },
  "openai/gpt-4.1": { input: 2, output: 8, cacheRead: 0.5 },
  "openai/gpt-4.1-mini": { input: 0.4, output: 1.6, cacheRead: 0.1 },
  "google/gemini-2.5-pro": { input: 1.25, output: 10, cacheRead: 0.31 },
  "google/gemini-2.5-flash": { input: 0.3, output: 2.5, cacheRead: 0.075 },
};

/** The price of `model`: the config's, else the default list's, else none (cost unknown: 0). */
export function priceOf(model: string, configured: PriceSettings): ModelPrice | undefined {
  return configured[model] ?? defaultPrices[model];
}

/** USD for these tokens at this price. */
export function costOfTokens(tokens: TokenCounts, price: ModelPrice | undefined): number {
  if (!price) return 0;
  const perToken = (usdPerMillion: number) => usdPerMillion / 1_000_000;
  return (
    tokens.input * perToken(price.input) +
    (tokens.output + tokens.reasoning) * perToken(price.output) +
    tokens.cacheRead * perToken(price.cacheRead ?? price.input) +
    tokens.cacheWrite * perToken(price.cacheWrite ?? price.input)
  );
}

/** An attempt's cost: what the engine reported when it reported one, else its tokens at the model's price. */
export function attemptCost(
  reported: number,
  tokens: TokenCounts,
  model: string,
  prices: PriceSettings,
): number {
  return reported > 0 ? reported : costOfTokens(tokens, priceOf(model, prices));
}
