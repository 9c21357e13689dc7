import { type Db, sql } from "./database.ts";

/** A task dispatched from a GitHub issue, and the comment drover keeps there. */
export interface IssueFollowup {
  batchId: string;
  taskId: string;
  owner: string;
  repo: string;
  apiUrl: string;
  issue: number;
  commentId?: number;
}

interface FollowupRow {
  batch_id: string;
  task_id: string;
  owner: string;
  repo: string;
  api_url: string;
  issue: number;
  comment_id: number | null;
}

const toFollowup = (row: FollowupRow): IssueFollowup => ({
  batchId: row.batch_id,
  taskId: row.task_id,
  owner: row.owner,
  repo: row.repo,
  apiUrl: row.api_url,
  issue: row.issue,
  ...(row.comment_id !== null ? { commentId: row.comment_id } : {}),
});

/** SQL for issue follow-ups: kept from dispatch until the final comment is written. */
export class IssueFollowupTable {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  add(followup: IssueFollowup): void {
    sql(
      this.#db,
      `insert into issue_followups (batch_id, task_id, owner, repo, api_url, issue, created_at)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (batch_id, task_id) do nothing`,
    ).run(
      followup.batchId,
      followup.taskId,
      followup.owner,
      followup.repo,
      followup.apiUrl,
      followup.issue,
      this.#now(),
    );
  }

  commented(key: { batchId: string; taskId: string }, commentId: number): void {
    sql(this.#db, "update issue_followups set comment_id = ? where batch_id = ? and task_id = ?").run(
      commentId,
      key.batchId,
      key.taskId,
    );
  }

  get(key: { batchId: string; taskId: string }): IssueFollowup | undefined {
    const row = sql(this.#db, "select * from issue_followups where batch_id = ? and task_id = ?").get(
      key.batchId,
      key.taskId,
    ) as FollowupRow | undefined;
    return row ? toFollowup(row) : undefined;
  }

  /** Every follow-up not finished yet, oldest first. */
  pending(): IssueFollowup[] {
    return (sql(this.#db, "select * from issue_followups order by created_at").all() as FollowupRow[]).map(
      toFollowup,
    );
  }

  done(key: { batchId: string; taskId: string }): void {
    sql(this.#db, "delete from issue_followups where batch_id = ? and task_id = ?").run(
      key.batchId,
      key.taskId,
    );
  }
}
