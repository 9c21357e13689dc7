// Where a task's GitHub token comes from. `tokenFor` is asked when the task needs one (delivery of
// a pull request); `release` when the task ended, so a minted token does not outlive its task.

/** A task, by its batch and id. */
export interface TokenTask {
  batchId: string;
  taskId: string;
}

/** A repository on GitHub. */
export interface GithubRepository {
  owner: string;
  name: string;
}

/** A token, or why there is none (the message never holds a token). */
export type TokenGrant = { ok: true; token: string; expiresAt?: number } | { ok: false; message: string };

export interface GithubTokenSource {
  /** A token for this task on this repository: the same one until it nears expiry or is released. */
  tokenFor(task: TokenTask, repository: GithubRepository): Promise<TokenGrant>;
  /** The task ended: its tokens are revoked. Never throws. */
  release(task: TokenTask): Promise<void>;
  /** drover stops: every token still held is revoked. Never throws. */
  close(): Promise<void>;
}

/**
 * `tokens.mode: delegated`: the user's own token, for every task and repository, never revoked.
 * Its reach is everything the user can do, which is why it is only used when asked for by name.
 */
export function delegatedTokens(token: string | undefined): GithubTokenSource {
  return {
    tokenFor: async () =>
      token
        ? { ok: true, token }
        : {
            ok: false,
            message:
              'tokens.mode is "delegated" but neither GITHUB_TOKEN nor GH_TOKEN is set in drover\'s environment',
          },
    release: async () => {},
    close: async () => {},
  };
}
