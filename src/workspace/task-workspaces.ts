import type { InputIssue } from "../core/errors.ts";
import type { TaskSpec, TaskWorkspace } from "../core/task-spec.ts";

/** A task's worktree made ready, or why it could not be. */
export type WorktreeOpened =
  | { status: "ready"; path: string; branch: string; baseCommit: string; reused: boolean }
  | { status: "conflict"; branch: string; paths: string[] }
  | { status: "error"; message: string };

/** The task's branch against its base after an attempt. */
export interface BranchState {
  head: string;
  commits: { sha: string; subject: string }[];
  diffStat: { files: number; insertions: number; deletions: number };
}

/** How a delivery went, with what is recorded of it. */
export type DeliveryDone =
  | { ok: true; summary: string; record: DeliveryRecord }
  | { ok: false; message: string; record: DeliveryRecord };

export interface DeliveryRecord {
  mode: "branch" | "pr" | "merge";
  state: "delivered" | "failed";
  pr?: { number: number; url: string; draft: boolean };
  mergeCommit?: string;
  target?: string;
  message?: string;
}

/**
 * What the supervisor needs of git: checks at intake, a worktree per task, its leftovers
 * committed, its branch delivered. Built in the composition root with the config's repos.
 */
export interface TaskWorkspaces {
  /** Tasks whose `repo` is not a git repository, whose `base` does not exist, or whose main tree must be clean and is not. */
  check(specs: readonly TaskSpec[], source: string): Promise<InputIssue[]>;
  open(request: {
    batchId: string;
    taskId: string;
    workspace: TaskWorkspace;
    dependencyBranches: readonly string[];
    onSetupOutput(line: string): void;
  }): Promise<WorktreeOpened>;
  commit(request: {
    path: string;
    branch: string;
    baseCommit: string;
    message: string;
  }): Promise<{ ok: true; commit?: string; summary: BranchState } | { ok: false; message: string }>;
  deliver(request: {
    /** The task delivered: a GitHub token is minted for it (and revoked when it ends). */
    batchId: string;
    taskId: string;
    workspace: TaskWorkspace;
    path: string;
    branch: string;
    baseCommit: string;
    title: string;
    body: string;
    draft: boolean;
    onGateOutput(line: string): void;
  }): Promise<DeliveryDone>;
}
