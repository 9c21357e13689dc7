/**
 * Schedules (cron, time zone, what they run) and their firings: one row per slot, keyed
 * `NAME@<slot ISO>`, so a slot is recorded — and fired — once, whichever daemon gets there first.
 */
export const schedulesSchema = `
create table schedules (
  name text primary key,
  cron text not null,
  timezone text not null,
  file text,                      -- a task file's absolute path, read again at each firing
  prompt text,                    -- one prompt (with runner: the runner's prompt)
  dir text,                       -- the prompt's working directory
  runner text,
  overlap text not null,          -- skip | queue | allow
  catch_up text not null,         -- none | last
  paused integer not null default 0,
  cursor integer not null,        -- the latest slot handled: slots after it are due
  created_at integer not null,
  updated_at integer not null
);

create table schedule_firings (
  key text primary key,           -- NAME@<slot ISO time>, also the batch's idempotency key
  schedule text not null,
  slot integer not null,
  trigger text not null,          -- schedule | catch-up | manual
  status text not null,           -- firing | fired | queued | skipped | missed | failed
  batch_id text,
  reason text,
  created_at integer not null,
  updated_at integer not null
);
create index schedule_firings_by_schedule on schedule_firings(schedule, slot);
create index schedule_firings_by_status on schedule_firings(status);
`;
