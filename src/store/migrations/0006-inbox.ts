/** The attention inbox: what needs a person (permission requests, blocked tasks, failures, handoffs, watchdog flags). */
export const inboxSchema = `
create table inbox_items (
  id text primary key,
  kind text not null,
  state text not null,            -- open | approved | denied | dismissed | resolved
  batch_id text,
  task_id text,
  attempt_id text,
  title text not null,
  detail text not null,
  evidence text,                  -- JSON
  dedupe_key text,
  created_at integer not null,
  answered_at integer,
  answered_by text
);
create index inbox_by_state on inbox_items(state, created_at);
create index inbox_by_task on inbox_items(batch_id, task_id);
`;
