import type { Command } from "commander";
import { badInput } from "../../core/errors.ts";
import { classifyHost } from "../../egress/classify-host.ts";
import { loadTierLists, providerHostsOf } from "../../egress/load-tier-lists.ts";
import { hostProblem } from "../../egress/tier-list.ts";
import type { CliContext } from "../context.ts";
import { addStateOptions, loadFor, output, type StateFlags } from "./state-helpers.ts";

const tierNames: Record<number, string> = {
  1: "code host",
  2: "package registry",
  3: "docs, model provider or CDN",
  4: "unknown",
  5: "exfiltration",
};

/** `drover network check HOST`: the tier of a host, what the egress proxy does with it, and why. */
export function registerNetworkCommands(program: Command, context: CliContext): void {
  const network = program.command("network").description("The egress proxy's network tiers");
  addStateOptions(
    network
      .command("check")
      .description("Print the tier of HOST, what the egress proxy does with it, and the rule that matched")
      .argument("<host>", "a host name or IP address (no scheme or port)"),
  ).action((host: string, flags: StateFlags) => {
    const problem = hostProblem(host);
    if (problem || host.startsWith("*."))
      throw badInput("bad_input", [
        { source: "HOST", path: "", message: problem ?? `"${host}" is a wildcard: name one host` },
      ]);
    const loaded = loadFor(flags, context);
    const { lists, issues } = loadTierLists({
      network: loaded.config.network,
      root: loaded.root,
      configSource: loaded.file ?? "config",
      providerHosts: providerHostsOf(loaded.config.opencode as Record<string, unknown>),
    });
    if (issues.length > 0) throw badInput("bad_config", issues);
    const verdict = classifyHost(host, lists);
    output(
      context,
      flags,
      verdict,
      `${verdict.host}: tier ${verdict.tier} (${tierNames[verdict.tier]}) → ${verdict.decision}\nrule: ${verdict.rule}`,
    );
  });
}
