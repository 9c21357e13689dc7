import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LoadedConfig } from "./config/load.ts";
import { privateKeyFile, privateKeyProblem, tokenMode } from "./config/token-settings.ts";
import type { Clock } from "./core/clock.ts";
import { badInput } from "./core/errors.ts";
import type { DroverEventBody, EventBus } from "./core/events.ts";
import { isFinal } from "./core/task-states.ts";
import { GithubAppTokens } from "./security/github-app-tokens.ts";
import {
  delegatedTokens,
  type GithubRepository,
  type GithubTokenSource,
  type TokenGrant,
} from "./security/github-token-source.ts";
import { AgentRepoTokens } from "./workspace/agent-repo-tokens.ts";
import { BranchMergeQueue } from "./workspace/branch-merge-queue.ts";
import { deliverTaskBranch } from "./workspace/deliver-task-branch.ts";
import { GitTaskWorkspaces } from "./workspace/git-task-workspaces.ts";
import { dependencyCacheEnv } from "./workspace/run-setup.ts";
import { repoSettingsFor, workspacePaths } from "./workspace/workspace-paths.ts";

export interface TaskWorkspacesSetup {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Where `task.state` events come from: a task in a final state has its tokens revoked. */
  bus: EventBus;
  report: (event: DroverEventBody) => void;
}

/**
 * Tasks' git worktrees and deliveries, from the config's `workspace`, `repos` and `tokens`.
 * `close()` revokes every token still held (after the supervisor stopped, before the store closes).
 */
export function createTaskWorkspaces(setup: TaskWorkspacesSetup): {
  workspaces: GitTaskWorkspaces;
  /** The tokens agents get for their task's repository (with `tokens` configured). */
  agentTokens?: AgentRepoTokens;
  /** A token for drover's own GitHub writes on a repository (issue comments), with `tokens` configured. */
  githubToken?: (repository: GithubRepository) => Promise<TokenGrant>;
  close(): Promise<void>;
} {
  const { loaded, clock } = setup;
  const { root, cacheDir } = workspacePaths(loaded);
  const repoSettings = repoSettingsFor(loaded);
  const tokens = githubTokens(setup);
  const agentTokens = tokens ? new AgentRepoTokens({ tokens, repoSettings }) : undefined;
  const mergeQueue = new BranchMergeQueue({ root, env: dependencyCacheEnv(cacheDir) });
  const releasing = new Set<Promise<void>>();
  const unsubscribe = tokens
    ? setup.bus.subscribe((event) => {
        if (event.type !== "task.state" || !isFinal(event.to)) return;
        agentTokens?.release({ batchId: event.batchId, taskId: event.taskId });
        const released = tokens.release({ batchId: event.batchId, taskId: event.taskId });
        releasing.add(released);
        void released.finally(() => releasing.delete(released));
      })
    : () => {};
  const workspaces = new GitTaskWorkspaces({
    root,
    cacheDir,
    repoSettings,
    now: () => clock.now(),
    deliver: (request) =>
      deliverTaskBranch(request, {
        settings: repoSettings(request.workspace.repo),
        mergeQueue,
        ...(tokens ? { githubToken: (task, repository) => tokens.tokenFor(task, repository) } : {}),
      }),
  });
  return {
    workspaces,
    ...(agentTokens ? { agentTokens } : {}),
    ...(tokens
      ? { githubToken: (repository: GithubRepository) => tokens.tokenFor(droverOwnWrites, repository) }
      : {}),
    close: async () => {
      unsubscribe();
      await Promise.all(releasing);
      await tokens?.close();
    },
  };
}

/** Who drover's own GitHub writes (issue comments) are on behalf of, for the token source. */
const droverOwnWrites = { batchId: "drover", taskId: "github-writes" };

/**
 * The tokens tasks get (config `tokens`): a GitHub App's, minted per task and repository; the
 * user's own (`mode: delegated`, announced by a warning on every run); or none.
 */
function githubTokens(setup: TaskWorkspacesSetup): GithubTokenSource | undefined {
  const { loaded, env, report } = setup;
  const { tokens } = loaded.config;
  const mode = tokenMode(tokens);
  if (mode === "delegated") {
    const token = env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
    report({
      type: "warning",
      code: "delegated_token",
      message: token
        ? 'tokens.mode is "delegated": pull requests are opened with your own GitHub token, which reaches everything you can; set tokens.github (a GitHub App) for a token per task limited to its repository'
        : 'tokens.mode is "delegated" but neither GITHUB_TOKEN nor GH_TOKEN is set: pull requests will fail',
    });
    return delegatedTokens(token);
  }
  const github = tokens.github;
  if (mode !== "app" || !github) return undefined;
  // Checked again here for callers that build the config without loadConfig.
  const file = privateKeyFile(github, loaded.root);
  const problem = privateKeyProblem(file);
  if (problem)
    throw badInput("bad_config", [
      { source: loaded.file ?? "config", path: "tokens.github.privateKeyPath", message: problem },
    ]);
  return new GithubAppTokens({
    app: {
      appId: github.appId,
      privateKey: createPrivateKey(readFileSync(file)),
      installationId: github.installationId,
      permissions: github.permissions,
      apiBaseUrl: github.apiBaseUrl,
    },
    now: () => setup.clock.now(),
    report,
  });
}
