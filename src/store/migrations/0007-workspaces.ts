/** A task's git worktree and branch, what the branch holds after each attempt, and its delivery. */
export const workspacesSchema = `
create table task_workspaces (
  batch_id text not null,
  task_id text not null,
  repo text not null,
  path text not null,
  branch text not null,
  base_commit text not null,
  head text,
  commits text,                   -- JSON [{sha, subject}]
  diff_stat text,                 -- JSON {files, insertions, deletions}
  delivery text,                  -- JSON {mode, state, pr?, mergeCommit?, message?}
  created_at integer not null,
  updated_at integer not null,
  primary key (batch_id, task_id)
);
`;
