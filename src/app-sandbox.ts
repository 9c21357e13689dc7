import path from "node:path";
import type { LoadedConfig } from "./config/load.ts";
import type { EgressProxy } from "./egress/egress-proxy.ts";
import type { StrictSandbox } from "./sandbox/strict-launch.ts";
import { workspacePaths } from "./workspace/workspace-paths.ts";

/**
 * What a `strict` server may write: the project folder and the repositories of `repos` (their git
 * hooks and config read-only, so an agent cannot plant a hook your own git runs later), and the
 * task worktrees; drover's state dir (store, API token, other servers' homes) is hidden. Its only
 * way out is the egress proxy.
 */
export function strictSandboxOf(loaded: LoadedConfig, egress: EgressProxy | undefined): StrictSandbox {
  const repos = [
    loaded.root,
    ...Object.keys(loaded.config.repos).map((repo) => path.resolve(loaded.root, repo)),
  ];
  return {
    writable: [...new Set(repos), workspacePaths(loaded).root],
    hidden: [loaded.stateDir],
    readOnly: repos.flatMap((repo) => [path.join(repo, ".git", "hooks"), path.join(repo, ".git", "config")]),
    ...(egress ? { egress } : {}),
  };
}
