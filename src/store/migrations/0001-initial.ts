/** Batches, tasks, attempts and the event log. */
export const initialSchema = `
create table batches (
  id text primary key,
  source text not null,
  created_at integer not null,
  finished_at integer
);

create table tasks (
  batch_id text not null references batches(id),
  id text not null,
  title text,
  spec text not null,              -- JSON: the validated task spec
  state text not null,
  state_reason text,
  attempt_count integer not null default 0,
  session_id text,
  outcome text,                    -- JSON
  created_at integer not null,
  updated_at integer not null,
  finished_at integer,
  primary key (batch_id, id)
);
create index tasks_by_state on tasks(state);

create table attempts (
  id text primary key,
  batch_id text not null,
  task_id text not null,
  number integer not null,
  engine text not null,
  server text,
  session_id text,
  status text not null,            -- running | a final task state
  failure text,                    -- JSON AttemptFailure
  tokens text,                     -- JSON TokenCounts
  cost real not null default 0,
  final_text text,
  files_changed text,              -- JSON string[]
  started_at integer not null,
  finished_at integer,
  foreign key (batch_id, task_id) references tasks(batch_id, id)
);
create index attempts_by_task on attempts(batch_id, task_id);

create table events (
  seq integer primary key autoincrement,
  ts integer not null,
  type text not null,
  batch_id text,
  task_id text,
  attempt_id text,
  body text not null               -- JSON DroverEventBody
);
create index events_by_batch on events(batch_id, seq);
`;
