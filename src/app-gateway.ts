import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "./config/load.ts";
import type { DroverEventBody } from "./core/events.ts";
import { modelCredentialRef, readModelCredentials } from "./engines/opencode/model-credential.ts";
import { pointProvidersAtGateway } from "./engines/opencode/opencode-config.ts";
import { providerKeyVariables } from "./gateway/known-providers.ts";
import { type ModelGateway, type ModelGatewayOptions, startModelGateway } from "./gateway/model-gateway.ts";
import { planGatewayRoutes } from "./gateway/plan-routes.ts";
import type { BeforeForward } from "./gateway/usage-record.ts";
import { tokenMatches } from "./security/api-token.ts";
import { knownSecrets } from "./security/known-secrets.ts";

// The model gateway part of the composition root: provider keys stay in this process; the OpenCode
// servers get the gateway's address and a credential of their own instead.

export interface ServersBehindGateway {
  gateway: ModelGateway;
  /** The OpenCode config with every gatewayed provider pointed at the gateway. */
  config: Record<string, unknown>;
  /** drover's environment minus the keys the gateway holds: what the servers' allowlist picks from. */
  env: NodeJS.ProcessEnv;
  /** The providers the gateway routes (it holds a key for each). */
  providers: string[];
}

/**
 * Reads the real keys from drover's environment (and the config's references), starts the gateway
 * on the port it had last time (adopted servers keep the address they were configured with) and
 * returns the config and environment the servers get. Pushes the gateway's stop on `closers`.
 */
export async function startGatewayForServers(options: {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  config: Record<string, unknown>;
  report(event: Extract<DroverEventBody, { type: "warning" }>): void;
  closers: (() => Promise<void> | void)[];
  beforeForward?: BeforeForward;
}): Promise<ServersBehindGateway> {
  const { loaded, config } = options;
  const providers = (config.provider as Record<string, unknown>) ?? {};
  const enabled = Array.isArray(config.enabled_providers) ? (config.enabled_providers as string[]) : [];
  const plan = planGatewayRoutes({ providers, enabled, env: options.env, baseDir: loaded.root });
  for (const provider of plan.unrouted) {
    options.report({
      type: "warning",
      code: "model_gateway_unrouted",
      message: `provider "${provider}" is not behind drover's model gateway (drover knows no upstream it can add a key to); its credentials reach the servers only through opencode.envPassthrough`,
    });
  }
  // Keys read from a file or the config are redacted wherever they show up, like those in the environment.
  for (const route of plan.routes) {
    if (route.key) options.closers.push(knownSecrets.add(`the ${route.provider} key`, route.key));
  }
  const engineRoot = path.join(loaded.stateDir, "engines", "opencode");
  const usageLog = path.join(loaded.stateDir, "model-gateway.jsonl");
  const gateway = await startOnStablePort(loaded.stateDir, {
    routes: plan.routes,
    lookupCredential: (credential) => {
      const issued = readModelCredentials(engineRoot).find((entry) =>
        tokenMatches(credential, entry.credential),
      );
      return issued ? { server: issued.server } : undefined;
    },
    onUsage: (usage) => appendFileSync(usageLog, `${JSON.stringify(usage)}\n`),
    ...(options.beforeForward ? { beforeForward: options.beforeForward } : {}),
  });
  options.closers.push(() => gateway.close());
  const pointed = pointProvidersAtGateway(
    config,
    plan.routes.map(({ provider, upstream }) => ({
      provider,
      baseURL: gateway.baseURLFor(provider),
      // Only an upstream the user configured is probed before a batch, as before the gateway.
      ...(hasConfiguredBaseURL(providers[provider]) ? { probeURL: upstream } : {}),
    })),
    modelCredentialRef,
  );
  // Whatever opencode.envPassthrough allows: not the keys the gateway holds (under any name), nor
  // any other known provider's key variable.
  const withheld = new Set([...plan.heldVariables, ...providerKeyVariables()]);
  const keys = new Set(plan.routes.flatMap((route) => (route.key ? [route.key] : [])));
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(options.env)) {
    if (value === undefined || withheld.has(name) || keys.has(value)) continue;
    env[name] = value;
  }
  return { gateway, config: pointed, env, providers: plan.routes.map((route) => route.provider) };
}

async function startOnStablePort(
  stateDir: string,
  options: Omit<ModelGatewayOptions, "port">,
): Promise<ModelGateway> {
  const portFile = path.join(stateDir, "model-gateway.port");
  mkdirSync(stateDir, { recursive: true });
  let previous = 0;
  try {
    previous = Number(readFileSync(portFile, "utf8").trim()) || 0;
  } catch {
    // first start
  }
  let gateway: ModelGateway;
  try {
    gateway = await startModelGateway({ ...options, port: previous });
  } catch {
    gateway = await startModelGateway(options);
  }
  writeFileSync(portFile, String(gateway.port));
  return gateway;
}

function hasConfiguredBaseURL(entry: unknown): boolean {
  const options = (entry as { options?: { baseURL?: unknown } } | undefined)?.options;
  return typeof options?.baseURL === "string";
}
