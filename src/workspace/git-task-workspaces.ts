import type { RepoSettings } from "../config/workspace-settings.ts";
import type { InputIssue } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { checkedOutIn, targetCheckedOutMessage } from "./branch-merge-queue.ts";
import { summarizeBranch } from "./branch-summary.ts";
import { commitLeftovers } from "./commit-result.ts";
import { deliveryTarget } from "./deliver-task-branch.ts";
import { checkRepo } from "./repo-checks.ts";
import type { TaskWorkspaces } from "./task-workspaces.ts";
import { openWorktree } from "./task-worktree.ts";

export interface GitTaskWorkspacesOptions {
  /** Where worktrees are made: `<root>/<batchId>/<taskId>`. */
  root: string;
  /** Dependency cache shared by setups. */
  cacheDir: string;
  /** The settings of a repository (config `repos`). */
  repoSettings: (repo: string) => RepoSettings;
  /** Hands a branch over (pull request, merge queue): see deliver-task-branch.ts. */
  deliver: TaskWorkspaces["deliver"];
  now: () => number;
}

/** Tasks' worktrees on real git: the `TaskWorkspaces` the supervisor uses. */
export class GitTaskWorkspaces implements TaskWorkspaces {
  readonly #options: GitTaskWorkspacesOptions;

  constructor(options: GitTaskWorkspacesOptions) {
    this.#options = options;
  }

  async check(specs: readonly TaskSpec[], source: string): Promise<InputIssue[]> {
    const found = await Promise.all(
      specs.map(async (spec, index) => {
        const workspace = spec.workspace;
        if (!workspace) return [];
        const problems = await checkRepo({
          repo: workspace.repo,
          ...(workspace.base ? { base: workspace.base } : {}),
          requireClean: this.#options.repoSettings(workspace.repo).requireClean,
        });
        const issues = problems.map((problem) => ({
          source,
          path: `tasks[${index}].${problem.field}`,
          message: `task "${spec.id}": ${problem.message}`,
        }));
        if (problems.length === 0 && workspace.deliver === "merge") {
          const target = await deliveryTarget(workspace, this.#options.repoSettings(workspace.repo));
          const holder = target ? await checkedOutIn(workspace.repo, target) : undefined;
          if (target && holder)
            issues.push({
              source,
              path: `tasks[${index}].target`,
              message: `task "${spec.id}": ${targetCheckedOutMessage(target, holder)}`,
            });
        }
        return issues;
      }),
    );
    return found.flat();
  }

  open: TaskWorkspaces["open"] = (request) => {
    const settings = this.#options.repoSettings(request.workspace.repo);
    return openWorktree({
      repo: request.workspace.repo,
      root: this.#options.root,
      batchId: request.batchId,
      taskId: request.taskId,
      ...(request.workspace.base ? { base: request.workspace.base } : {}),
      copy: settings.copy,
      ...(settings.setup ? { setup: settings.setup } : {}),
      cacheDir: this.#options.cacheDir,
      dependencyBranches: request.dependencyBranches,
      onOutput: (line) => request.onSetupOutput(line),
      now: this.#options.now,
    });
  };

  commit: TaskWorkspaces["commit"] = async (request) => {
    const committed = await commitLeftovers({ path: request.path, message: request.message });
    if (!committed.ok) return committed;
    const summarized = await summarizeBranch(request);
    if (!summarized.ok) return summarized;
    const { head, commits, diffStat } = summarized.summary;
    return {
      ok: true,
      ...(committed.sha ? { commit: committed.sha } : {}),
      summary: { head, commits, diffStat },
    };
  };

  deliver: TaskWorkspaces["deliver"] = (request) => this.#options.deliver(request);
}
