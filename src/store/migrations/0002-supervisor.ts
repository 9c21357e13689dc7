/** Supervisor state: scheduling, leases, retries, continuations, idempotency. */
export const supervisorSchema = `
alter table tasks add column run_at integer;              -- retry_wait / parked: when to wake
alter table tasks add column lease_owner text;            -- supervisor instance running it
alter table tasks add column lease_until integer;         -- heartbeat-renewed lease
alter table tasks add column idempotency_key text;
alter table tasks add column fresh_attempts integer not null default 0;
alter table tasks add column continuations integer not null default 0;
alter table tasks add column recovery_used integer not null default 0;
alter table tasks add column model text;                  -- current model (after escalation)
alter table tasks add column pending_prompt text;         -- next attempt continues the session with this
alter table tasks add column session_server text;
create unique index tasks_by_idempotency_key on tasks(idempotency_key) where idempotency_key is not null;

alter table attempts add column kind text not null default 'fresh';  -- fresh | continue | recovery | escalation
alter table attempts add column prompt text;                         -- what was sent (empty when following a session)

alter table batches add column strategy text;
alter table batches add column owner text;               -- the supervisor that runs it: 'daemon' or 'run:<id>'
`;
