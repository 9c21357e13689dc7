import type { RepoSettings } from "../config/workspace-settings.ts";
import { errorMessage } from "../core/errors.ts";
import {
  type AgentHome,
  httpOriginOf,
  removeAgentGitCredentials,
  writeAgentGitCredentials,
} from "../security/git-credentials.ts";
import type { GithubTokenSource, TokenTask } from "../security/github-token-source.ts";
import { git } from "./git.ts";
import { ownerAndName } from "./remote-url.ts";

interface HomeHolders {
  home: AgentHome;
  origin: string;
  /** The live tokens of the tasks running on this server, by task (`batchId|taskId`). */
  tokens: Map<string, string>;
}

/**
 * The token an agent's git and `gh` use for its task's repository: the task's own (minted for that
 * repository, revoked when the task ends), put in the home of the server it runs on. Tasks that
 * share a server share its repository; when one ends, the file holds another live token of theirs,
 * and once none is left it is removed. Only HTTPS remotes get a token (ssh and local remotes use
 * what the server's home has, which under `home` and `strict` is nothing).
 */
export class AgentRepoTokens {
  readonly #tokens: GithubTokenSource;
  readonly #repoSettings: (repo: string) => RepoSettings;
  readonly #homes = new Map<string, HomeHolders>();

  constructor(options: { tokens: GithubTokenSource; repoSettings: (repo: string) => RepoSettings }) {
    this.#tokens = options.tokens;
    this.#repoSettings = options.repoSettings;
  }

  async provide(task: TokenTask & { repo: string }, home: AgentHome): Promise<string | undefined> {
    try {
      const settings = this.#repoSettings(task.repo);
      const url = await git(task.repo, ["remote", "get-url", settings.remote]);
      const origin = httpOriginOf(url.ok ? url.stdout : undefined);
      if (!url.ok || !origin) return undefined;
      const [owner, name] = settings.github.repo?.split("/") ?? [];
      const repository = owner && name ? { owner, name } : ownerAndName(url.stdout);
      if (!repository) return `cannot tell the GitHub repository from remote ${settings.remote}`;
      const grant = await this.#tokens.tokenFor(task, repository);
      if (!grant.ok) return grant.message;
      const holders = this.#homes.get(home.HOME) ?? { home, origin, tokens: new Map() };
      holders.tokens.set(keyOf(task), grant.token);
      this.#homes.set(home.HOME, holders);
      writeAgentGitCredentials(home, origin, grant.token);
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  /** The task ended (its token is being revoked): its servers keep another live token, or none. */
  release(task: TokenTask): void {
    for (const [key, holders] of this.#homes) {
      if (!holders.tokens.delete(keyOf(task))) continue;
      const next = [...holders.tokens.values()].at(-1);
      try {
        if (next) writeAgentGitCredentials(holders.home, holders.origin, next);
        else removeAgentGitCredentials(holders.home);
      } catch {
        // the home is gone with its server
      }
      if (!next) this.#homes.delete(key);
    }
  }
}

function keyOf(task: TokenTask): string {
  return `${task.batchId}|${task.taskId}`;
}
