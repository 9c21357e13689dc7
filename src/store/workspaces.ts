import { z } from "zod";
import { redactSecretsIn } from "../security/redact-value.ts";
import { type Db, sql } from "./database.ts";

/** One commit on a task's branch. */
export const BranchCommit = z.object({ sha: z.string(), subject: z.string() });

/** What the branch changes against its base. */
export const DiffStat = z.object({ files: z.number(), insertions: z.number(), deletions: z.number() });
export type DiffStat = z.infer<typeof DiffStat>;

/** How a task's branch was handed over. */
export const Delivery = z.object({
  mode: z.enum(["branch", "pr", "merge"]),
  state: z.enum(["pending", "delivered", "failed"]),
  pr: z.object({ number: z.number(), url: z.string(), draft: z.boolean() }).optional(),
  mergeCommit: z.string().optional(),
  target: z.string().optional(),
  /** What failed (push, pull request, merge conflict, gate), with the gate's output tail. */
  message: z.string().optional(),
  /** The agent's summary and whether it handed off (a draft pull request), kept for `retry --deliver`. */
  summary: z.string().optional(),
  handoff: z.boolean().optional(),
  at: z.number(),
});
export type Delivery = z.infer<typeof Delivery>;

/** A task's worktree and branch, as results and views show them. */
export const WorkspaceRecord = z.object({
  batchId: z.string(),
  taskId: z.string(),
  repo: z.string(),
  path: z.string(),
  branch: z.string(),
  base: z.string(),
  head: z.string().optional(),
  commits: z.array(BranchCommit),
  diffStat: DiffStat.optional(),
  delivery: Delivery.optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type WorkspaceRecord = z.infer<typeof WorkspaceRecord>;

interface WorkspaceRow {
  batch_id: string;
  task_id: string;
  repo: string;
  path: string;
  branch: string;
  base_commit: string;
  head: string | null;
  commits: string | null;
  diff_stat: string | null;
  delivery: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: WorkspaceRow): WorkspaceRecord => ({
  batchId: row.batch_id,
  taskId: row.task_id,
  repo: row.repo,
  path: row.path,
  branch: row.branch,
  base: row.base_commit,
  ...(row.head ? { head: row.head } : {}),
  commits: row.commits ? (JSON.parse(row.commits) as WorkspaceRecord["commits"]) : [],
  ...(row.diff_stat ? { diffStat: JSON.parse(row.diff_stat) as DiffStat } : {}),
  ...(row.delivery ? { delivery: JSON.parse(row.delivery) as Delivery } : {}),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** SQL for tasks' worktrees and branches. */
export class WorkspaceTable {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a worktree once it exists; a reopened one keeps its row. */
  opened(record: {
    batchId: string;
    taskId: string;
    repo: string;
    path: string;
    branch: string;
    base: string;
    at: number;
  }): void {
    sql(
      this.#db,
      `insert into task_workspaces (batch_id, task_id, repo, path, branch, base_commit, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (batch_id, task_id) do nothing`,
    ).run(
      record.batchId,
      record.taskId,
      record.repo,
      record.path,
      record.branch,
      record.base,
      record.at,
      record.at,
    );
  }

  /** What the branch holds after an attempt. */
  summarized(
    key: { batchId: string; taskId: string },
    summary: { head: string; commits: WorkspaceRecord["commits"]; diffStat: DiffStat },
    at: number,
  ): void {
    sql(
      this.#db,
      "update task_workspaces set head = ?, commits = ?, diff_stat = ?, updated_at = ? where batch_id = ? and task_id = ?",
    ).run(
      summary.head,
      JSON.stringify(redactSecretsIn(summary.commits)),
      JSON.stringify(summary.diffStat),
      at,
      key.batchId,
      key.taskId,
    );
  }

  delivered(key: { batchId: string; taskId: string }, delivery: Delivery): void {
    sql(
      this.#db,
      "update task_workspaces set delivery = ?, updated_at = ? where batch_id = ? and task_id = ?",
    ).run(JSON.stringify(redactSecretsIn(delivery)), delivery.at, key.batchId, key.taskId);
  }

  get(batchId: string, taskId: string): WorkspaceRecord | undefined {
    const row = sql(this.#db, "select * from task_workspaces where batch_id = ? and task_id = ?").get(
      batchId,
      taskId,
    ) as WorkspaceRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  forBatch(batchId: string): WorkspaceRecord[] {
    const rows = sql(this.#db, "select * from task_workspaces where batch_id = ? order by created_at").all(
      batchId,
    ) as WorkspaceRow[];
    return rows.map(toRecord);
  }

  all(): WorkspaceRecord[] {
    return (sql(this.#db, "select * from task_workspaces order by created_at").all() as WorkspaceRow[]).map(
      toRecord,
    );
  }
}
