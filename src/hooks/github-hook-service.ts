import type { GithubHookSettings } from "../config/hook-settings.ts";
import { errorMessage } from "../core/errors.ts";
import type { DroverEventBody, EventBus } from "../core/events.ts";
import { isFinal } from "../core/task-states.ts";
import type { GithubRepository, TokenGrant } from "../security/github-token-source.ts";
import type { Store } from "../store/store.ts";
import { readGithubEvent } from "./github-events.ts";
import { readSignedJson } from "./github-signature.ts";
import { writeIssueComment } from "./issue-comment.ts";

export interface GithubHookDeps {
  settings: GithubHookSettings;
  /** The webhook secret (from `hooks.github.secretEnv`); without it every delivery is refused. */
  secret: string | undefined;
  /** The local repository (and its API URL) for "owner/name", from the config's `repos`. */
  repoFor(fullName: string): { path: string; apiUrl: string } | undefined;
  /** Submits a task document (checked like any API submission); resolves with its batch. */
  submit(document: Record<string, unknown>, source: string): Promise<{ batchId: string; created: boolean }>;
  /** A token for writing the issue's comment. */
  token(repository: GithubRepository): Promise<TokenGrant>;
  bus: EventBus;
  store: Store;
  report(event: DroverEventBody): void;
}

export interface HookAnswer {
  status: 200 | 202 | 400 | 401 | 422 | 503;
  body: Record<string, unknown>;
}

interface Followed {
  repository: GithubRepository;
  apiUrl: string;
  issue: number;
}

/**
 * `POST /hooks/github`: a signed delivery (HMAC-SHA256 of the raw body, constant-time compared)
 * whose event asks for work becomes a task in that repository (a worktree, `deliver: pr`); the issue
 * gets one comment when the task is dispatched, edited when it ends. Who is followed (and the
 * comment's id) is kept in the store until the final edit is written, so a restarted daemon edits
 * the same comment — also for a task that ended while it was down.
 */
export class GithubHookService {
  readonly #deps: GithubHookDeps;
  /** First comments being written, by `batchId/taskId` (the final edit waits for its id). */
  readonly #firstComments = new Map<string, Promise<number | undefined>>();
  /** Final edits under way, so one ending is written once. */
  readonly #ending = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(deps: GithubHookDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.bus.subscribe((event) => {
      if (event.type === "task.state" && isFinal(event.to)) this.#ended(event.batchId, event.taskId);
    });
    // Tasks that ended while no daemon was running get their final edit now.
    for (const followup of deps.store.issueFollowups.pending()) {
      const task = deps.store.getTask(followup);
      if (!task || isFinal(task.state)) this.#ended(followup.batchId, followup.taskId);
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  async handle(delivery: {
    event?: string;
    id?: string;
    signature?: string;
    rawBody: string;
  }): Promise<HookAnswer> {
    const { settings, secret } = this.#deps;
    const signed = readSignedJson(delivery, secret, {
      secret: `the webhook secret (${settings.secretEnv})`,
      header: "X-Hub-Signature-256",
    });
    if ("refused" in signed) return signed.refused;
    const asked = readGithubEvent(delivery.event, signed.body, settings);
    if ("ignored" in asked) return { status: 200, body: { ignored: asked.ignored } };
    const repo = this.#deps.repoFor(asked.repository);
    if (!repo) return { status: 200, body: { ignored: `${asked.repository} is not a repository in repos` } };
    const [owner = "", name = ""] = asked.repository.split("/");
    const source = `github:${asked.repository}#${asked.issue}`;
    let submitted: { batchId: string; created: boolean };
    try {
      submitted = await this.#deps.submit(
        {
          tasks: [
            {
              id: asked.taskId,
              title: asked.title,
              prompt: asked.prompt,
              repo: repo.path,
              deliver: settings.deliver,
              // GitHub redelivers: one task per delivery, whatever arrives twice.
              ...(delivery.id ? { idempotencyKey: `github:${delivery.id}` } : {}),
            },
          ],
        },
        source,
      );
    } catch (error) {
      return { status: 422, body: { error: errorMessage(error) } };
    }
    const followed: Followed = { repository: { owner, name }, apiUrl: repo.apiUrl, issue: asked.issue };
    if (submitted.created) {
      const task = { batchId: submitted.batchId, taskId: asked.taskId };
      const key = `${task.batchId}/${task.taskId}`;
      const followups = this.#deps.store.issueFollowups;
      followups.add({ ...task, owner, repo: name, apiUrl: repo.apiUrl, issue: asked.issue });
      const first = this.#comment(
        followed,
        `drover is on it: task \`${key}\` is running (asked by @${asked.sender}).`,
      ).then((id) => {
        if (id !== undefined) this.#safely(() => followups.commented(task, id));
        return id;
      });
      this.#firstComments.set(key, first);
      void first.then(() => this.#firstComments.delete(key));
    }
    return {
      status: 202,
      body: { batchId: submitted.batchId, taskId: asked.taskId, created: submitted.created },
    };
  }

  #ended(batchId: string, taskId: string): void {
    const key = `${batchId}/${taskId}`;
    const followup = this.#deps.store.issueFollowups.get({ batchId, taskId });
    if (!followup || this.#ending.has(key)) return;
    this.#ending.add(key);
    const followed: Followed = {
      repository: { owner: followup.owner, name: followup.repo },
      apiUrl: followup.apiUrl,
      issue: followup.issue,
    };
    const task = this.#deps.store.getTask({ batchId, taskId });
    const pr = this.#deps.store.workspaces.get(batchId, taskId)?.delivery?.pr;
    const lines = [
      `drover finished task \`${key}\`: **${task?.state ?? "ended"}**.`,
      ...(task?.outcome?.summary ? ["", task.outcome.summary] : []),
      ...(task?.stateReason && task.state !== "succeeded" ? ["", `Why: ${task.stateReason}`] : []),
      ...(pr ? ["", `Pull request: ${pr.url}${pr.draft ? " (draft)" : ""}`] : []),
    ];
    void (this.#firstComments.get(key) ?? Promise.resolve(followup.commentId))
      .then((id) => this.#comment(followed, lines.join("\n"), id))
      .then(() => {
        this.#safely(() => this.#deps.store.issueFollowups.done({ batchId, taskId }));
        this.#ending.delete(key);
      });
  }

  /** A store write after the comment (the daemon may be closing its store): a warning, never a throw. */
  #safely(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#deps.report({ type: "warning", code: "github_comment", message: errorMessage(error) });
    }
  }

  async #comment(followed: Followed, body: string, existingId?: number): Promise<number | undefined> {
    try {
      const grant = await this.#deps.token(followed.repository);
      if (!grant.ok) throw new Error(grant.message);
      return await writeIssueComment(
        {
          apiUrl: followed.apiUrl,
          owner: followed.repository.owner,
          repo: followed.repository.name,
          issue: followed.issue,
          token: grant.token,
        },
        body,
        existingId,
      );
    } catch (error) {
      this.#deps.report({
        type: "warning",
        code: "github_comment",
        message: `issue #${followed.issue} of ${followed.repository.owner}/${followed.repository.name}: ${errorMessage(error)}`,
      });
      return existingId;
    }
  }
}
