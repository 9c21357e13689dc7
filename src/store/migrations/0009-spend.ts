/**
 * Spend: one row per attempt, its estimated cost reserved before launch and settled to the actual
 * cost when it ends; budgets are checked against these rows in the transaction that reserves.
 * A batch may carry its own budget (a task file's top-level `budget`).
 */
export const spendSchema = `
create table spend (
  attempt_id text primary key,
  batch_id text not null,
  task_id text not null,
  runner text,                    -- the runner whose run this is, if any
  model text not null,
  day text not null,              -- UTC day of the reservation, YYYY-MM-DD
  reserved real not null,         -- USD reserved before launch
  actual real,                    -- USD spent, once settled
  state text not null,            -- reserved | settled
  created_at integer not null,
  settled_at integer
);
create index spend_by_batch on spend (batch_id, task_id);
create index spend_by_day on spend (day);
create index spend_by_runner on spend (runner) where runner is not null;
alter table batches add column budget real;
`;
