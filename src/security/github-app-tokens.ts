import type { KeyObject } from "node:crypto";
import type { DroverEventBody } from "../core/events.ts";
import { type InstallationToken, mintInstallationToken, revokeInstallationToken } from "./github-app-api.ts";
import { appJwt } from "./github-app-jwt.ts";
import type { GithubRepository, GithubTokenSource, TokenGrant, TokenTask } from "./github-token-source.ts";

/** The GitHub App tokens are minted from (config `tokens.github`, the key already read). */
export interface GithubApp {
  appId: number | string;
  privateKey: KeyObject;
  installationId: number | string;
  permissions: Record<string, string>;
  apiBaseUrl: string;
}

export interface GithubAppTokensOptions {
  app: GithubApp;
  now: () => number;
  /** Where the audit events go (`token`: minted, revoked, failed); they never carry the token. */
  report: (event: DroverEventBody) => void;
}

/** A token this close to its expiry is replaced rather than handed out (GitHub's tokens live 1 h). */
export const refreshMarginMs = 5 * 60_000;

/**
 * Installation tokens of a GitHub App, one per task and repository: limited to that repository
 * and the configured permissions, minted when the task first needs one, revoked when it ends.
 * Every mint and revoke is a `token` event; no event, message or log line holds a token.
 */
export class GithubAppTokens implements GithubTokenSource {
  readonly #options: GithubAppTokensOptions;
  /** Per task (`batch/task`), per repository (`owner/name`): the token being minted or held. */
  readonly #held = new Map<string, Map<string, Promise<InstallationToken | undefined>>>();

  constructor(options: GithubAppTokensOptions) {
    this.#options = options;
  }

  async tokenFor(task: TokenTask, repository: GithubRepository): Promise<TokenGrant> {
    const repo = `${repository.owner}/${repository.name}`;
    const holding = this.#tokensOf(task);
    const current = await holding.get(repo);
    if (current && current.expiresAt - this.#options.now() > refreshMarginMs)
      return { ok: true, token: current.token, expiresAt: current.expiresAt };
    // Looked up again: the task may have been released (its tokens revoked) while this waited.
    const tokens = this.#tokensOf(task);
    const minting = this.#mint(task, repository);
    tokens.set(
      repo,
      minting.then((minted) => (minted.ok ? minted : undefined)),
    );
    if (current && tokens === holding) await this.#revoke(task, repo, current);
    const minted = await minting;
    return minted.ok ? { ok: true, token: minted.token, expiresAt: minted.expiresAt } : minted;
  }

  async release(task: TokenTask): Promise<void> {
    const tokens = this.#held.get(taskKey(task));
    if (!tokens) return;
    this.#held.delete(taskKey(task));
    for (const [repo, holding] of tokens) {
      const held = await holding;
      if (held) await this.#revoke(task, repo, held);
    }
  }

  async close(): Promise<void> {
    const tasks = [...this.#held.keys()].map(keyTask);
    await Promise.all(tasks.map((task) => this.release(task)));
  }

  #tokensOf(task: TokenTask): Map<string, Promise<InstallationToken | undefined>> {
    const key = taskKey(task);
    const found = this.#held.get(key);
    if (found) return found;
    const tokens = new Map<string, Promise<InstallationToken | undefined>>();
    this.#held.set(key, tokens);
    return tokens;
  }

  async #mint(
    task: TokenTask,
    repository: GithubRepository,
  ): Promise<({ ok: true } & InstallationToken) | { ok: false; message: string }> {
    const { app, now } = this.#options;
    const repo = `${repository.owner}/${repository.name}`;
    const minted = await mintInstallationToken({
      apiBaseUrl: app.apiBaseUrl,
      jwt: appJwt(app, now()),
      installationId: app.installationId,
      repository: repository.name,
      permissions: app.permissions,
    });
    if (!minted.ok) {
      const message = `minting a GitHub App token for ${repo} failed: ${minted.message}`;
      this.#audit(task, {
        action: "failed",
        repository: repo,
        permissions: app.permissions,
        detail: message,
      });
      return { ok: false, message };
    }
    this.#audit(task, {
      action: "minted",
      repository: repo,
      permissions: minted.permissions,
      expiresAt: minted.expiresAt,
    });
    return minted;
  }

  async #revoke(task: TokenTask, repo: string, held: InstallationToken): Promise<void> {
    const base = { repository: repo, permissions: held.permissions, expiresAt: held.expiresAt };
    // An expired token is refused by GitHub (401) and reaches nothing anyway.
    if (held.expiresAt <= this.#options.now()) {
      this.#audit(task, { action: "revoked", ...base, detail: "already expired" });
      return;
    }
    const revoked = await revokeInstallationToken({
      apiBaseUrl: this.#options.app.apiBaseUrl,
      token: held.token,
    });
    this.#audit(
      task,
      revoked.ok
        ? { action: "revoked", ...base }
        : { action: "failed", ...base, detail: `revoking: ${revoked.message}` },
    );
  }

  #audit(
    task: TokenTask,
    event: Omit<Extract<DroverEventBody, { type: "token" }>, "type" | "batchId" | "taskId">,
  ): void {
    try {
      this.#options.report({ type: "token", batchId: task.batchId, taskId: task.taskId, ...event });
    } catch {
      // An audit event that cannot be recorded must not keep a token from being revoked.
    }
  }
}

function taskKey(task: TokenTask): string {
  return JSON.stringify([task.batchId, task.taskId]);
}

function keyTask(key: string): TokenTask {
  const [batchId, taskId] = JSON.parse(key) as [string, string];
  return { batchId, taskId };
}
