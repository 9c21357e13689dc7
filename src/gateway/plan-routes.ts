import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { type AuthStyle, authStyleForPackage, knownProviders } from "./known-providers.ts";

/** Where the gateway sends one provider's requests, and the key it adds to them. */
export interface GatewayRoute {
  provider: string;
  /** The provider's base URL, without a trailing slash: `/p/<provider>/<rest>` goes to `<upstream>/<rest>`. */
  upstream: string;
  auth: AuthStyle;
  /** The real key, if the provider takes one; it never leaves the gateway. */
  key?: string;
}

export interface GatewayPlan {
  routes: GatewayRoute[];
  /** Variables whose values the gateway holds now: no worker inherits them, whatever the allowlist says. */
  heldVariables: string[];
  /** Enabled providers the gateway cannot stand in front of: no known upstream, or signed requests. */
  unrouted: string[];
}

/**
 * Decides, for every provider the OpenCode servers may use, where its requests go and with what
 * key: a configured `options.baseURL` else the built-in provider's upstream; a configured
 * `options.apiKey` (literal, `{env:VAR}` or `{file:PATH}`, resolved here from drover's own
 * environment) else the built-in provider's key variables.
 */
export function planGatewayRoutes(options: {
  /** OpenCode's `provider` block, the user's merged with drover's. */
  providers: Readonly<Record<string, unknown>>;
  /** Every provider the servers have enabled. */
  enabled: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where a relative `{file:PATH}` is read from (the project's folder). */
  baseDir: string;
}): GatewayPlan {
  const routes: GatewayRoute[] = [];
  const held = new Set<string>();
  const unrouted: string[] = [];
  for (const provider of new Set([...options.enabled, ...Object.keys(options.providers)])) {
    // Variables a routed provider's references name; an unrouted provider still reads its own.
    const named = new Set<string>();
    const resolve = (value: string) => resolveReference(value, options.env, options.baseDir, named);
    const entry = asRecord(options.providers[provider]);
    const settings = asRecord(entry.options);
    const known = knownProviders[provider];
    const baseURL = typeof settings.baseURL === "string" ? resolve(settings.baseURL) : known?.upstream;
    const auth = typeof entry.npm === "string" ? authStyleForPackage(entry.npm) : (known?.auth ?? "bearer");
    if (!baseURL || !auth || !/^https?:\/\//.test(baseURL)) {
      unrouted.push(provider);
      continue;
    }
    const key =
      typeof settings.apiKey === "string"
        ? resolve(settings.apiKey)
        : known?.keyVariables.map((name) => options.env[name]).find((value) => value);
    for (const name of [...named, ...(known?.keyVariables ?? [])]) held.add(name);
    routes.push({ provider, upstream: baseURL.replace(/\/+$/, ""), auth, ...(key ? { key } : {}) });
  }
  return { routes, heldVariables: [...held].sort(), unrouted };
}

/** Resolves OpenCode's `{env:VAR}` and `{file:PATH}` references the way OpenCode would. */
function resolveReference(
  value: string,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  named: Set<string>,
): string {
  const withEnv = value.replace(/\{env:([^}]+)\}/g, (_, name: string) => {
    named.add(name);
    return env[name] ?? "";
  });
  return withEnv.replace(/\{file:([^}]+)\}/g, (_, file: string) => {
    const full = file.startsWith("~/") ? path.join(homedir(), file.slice(2)) : path.resolve(baseDir, file);
    try {
      return readFileSync(full, "utf8").trim();
    } catch {
      return "";
    }
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
