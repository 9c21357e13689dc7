import type { LoadedConfig } from "./config/load.ts";
import type { Clock } from "./core/clock.ts";
import { BranchMergeQueue } from "./workspace/branch-merge-queue.ts";
import { deliverTaskBranch } from "./workspace/deliver-task-branch.ts";
import { GitTaskWorkspaces } from "./workspace/git-task-workspaces.ts";
import { dependencyCacheEnv } from "./workspace/run-setup.ts";
import { repoSettingsFor, workspacePaths } from "./workspace/workspace-paths.ts";

/** Tasks' git worktrees and deliveries, from the config's `workspace` and `repos` and the GitHub token in the environment. */
export function createTaskWorkspaces(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  clock: Clock,
): GitTaskWorkspaces {
  const { root, cacheDir } = workspacePaths(loaded);
  const repoSettings = repoSettingsFor(loaded);
  const githubToken = env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
  const mergeQueue = new BranchMergeQueue({ root, env: dependencyCacheEnv(cacheDir) });
  return new GitTaskWorkspaces({
    root,
    cacheDir,
    repoSettings,
    now: () => clock.now(),
    deliver: (request) =>
      deliverTaskBranch(request, {
        settings: repoSettings(request.workspace.repo),
        mergeQueue,
        ...(githubToken ? { githubToken } : {}),
      }),
  });
}
