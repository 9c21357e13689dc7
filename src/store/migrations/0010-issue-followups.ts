/**
 * Issue follow-ups: a task dispatched from a GitHub issue or comment, and the one comment drover
 * keeps on that issue (created at dispatch, edited when the task ends). Kept until the final edit
 * is written, so a daemon restarted in between still edits the same comment.
 */
export const issueFollowupsSchema = `
create table issue_followups (
  batch_id text not null,
  task_id text not null,
  owner text not null,
  repo text not null,
  api_url text not null,
  issue integer not null,
  comment_id integer,             -- once the first comment exists
  created_at integer not null,
  primary key (batch_id, task_id)
);
`;
