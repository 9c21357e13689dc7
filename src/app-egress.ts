import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "./config/load.ts";
import { badInput, errorMessage } from "./core/errors.ts";
import type { DroverEventBody } from "./core/events.ts";
import { DecisionReporter } from "./egress/decision-reporter.ts";
import { EgressProxy } from "./egress/egress-proxy.ts";
import { loadTierLists, providerHostsOf } from "./egress/load-tier-lists.ts";

// The egress proxy part of the composition root: the servers drover starts send their tools'
// traffic through it (HTTP(S)_PROXY), and each connection is classified by network tier.

/**
 * Reads the tier lists of the config (a bad line or host is a config error naming the file and
 * line, exit 2), starts the proxy on the port it had last time (adopted servers keep the address
 * they were given) and pushes its stop on `closers`. A proxy that cannot start is an error: no
 * server starts without it.
 */
export async function startEgressForServers(options: {
  loaded: LoadedConfig;
  report(event: Extract<DroverEventBody, { type: "network.decision" | "warning" }>): void;
  closers: (() => Promise<void> | void)[];
  /** The task a listener's connection came from, when it can be told (see DecisionReporter). */
  attribute?: (label: string) => { batchId: string; taskId: string } | undefined;
}): Promise<EgressProxy> {
  const { loaded } = options;
  const { lists, issues } = loadTierLists({
    network: loaded.config.network,
    root: loaded.root,
    configSource: loaded.file ?? "config",
    providerHosts: providerHostsOf(loaded.config.opencode as Record<string, unknown>),
  });
  if (issues.length > 0) throw badInput("bad_config", issues);
  const decisions = new DecisionReporter({
    report: options.report,
    ...(options.attribute ? { attribute: options.attribute } : {}),
  });
  const warn = (message: string) => options.report({ type: "warning", code: "egress_proxy", message });
  const portFile = path.join(loaded.stateDir, "egress-proxy.port");
  mkdirSync(loaded.stateDir, { recursive: true });
  const previous = existsSync(portFile) ? Number(readFileSync(portFile, "utf8").trim()) || 0 : 0;
  let proxy: EgressProxy;
  try {
    proxy = await EgressProxy.start({ lists, decisions, warn, port: previous });
  } catch (error) {
    if (previous === 0) throw error;
    warn(`port ${previous} of the last run is taken (${errorMessage(error)}); a new one is used`);
    proxy = await EgressProxy.start({ lists, decisions, warn });
  }
  writeFileSync(portFile, String(proxy.port));
  options.closers.push(() => proxy.close());
  return proxy;
}
