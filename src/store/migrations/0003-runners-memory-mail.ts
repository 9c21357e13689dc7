/** Named runners and their runs, namespaced memory (FTS5), and the mailbox between runners. */
export const runnersMemoryMailSchema = `
create table runners (
  name text primary key,
  description text not null default '',
  model text,
  agent text,
  dir text,
  instructions text not null default '',
  settings text not null default '{}',      -- JSON: temperature, tools, permission for the agent file
  last_session_id text,
  last_server text,
  run_count integer not null default 0,
  last_status text,
  last_run_at integer,
  active_run text,                           -- the run holding the runner's lock
  created_at integer not null,
  updated_at integer not null
);

create table runner_runs (
  id text primary key,
  runner text not null references runners(name) on delete cascade,
  prompt text not null,
  continued integer not null default 0,
  batch_id text,
  status text not null,                      -- running | succeeded | failed | blocked | timed_out | cancelled
  session_id text,
  outcome text,
  pid integer not null,
  started_at integer not null,
  finished_at integer
);
create index runner_runs_by_runner on runner_runs(runner, started_at);

create virtual table memory_fts using fts5(content, tags, tokenize = 'porter unicode61');
create table memories (
  id integer primary key,                    -- = memory_fts rowid
  namespace text not null,
  type text not null default 'note',
  tags text not null default '',
  content text not null,
  content_hash text not null,
  bytes integer not null,
  usefulness real not null default 0,
  recall_count integer not null default 0,
  created_at integer not null,
  last_recalled_at integer
);
create unique index memories_dedupe on memories(namespace, content_hash);
create index memories_by_namespace on memories(namespace, created_at);

create table mail (
  id text primary key,
  to_runner text not null,
  from_runner text,
  type text not null,                        -- task_dispatch | status_report | discovery | request | broadcast
  priority text not null default 'normal',   -- high | normal | low
  payload text not null,
  status text not null default 'unread',     -- unread | delivering | read | acked | archived | expired
  delivering_run text,
  created_at integer not null,
  expires_at integer not null,
  read_at integer,
  acked_at integer,
  archived_at integer
);
create index mail_by_recipient on mail(to_runner, status, created_at);
`;
