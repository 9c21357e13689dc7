/** The retry budget that covers every layer: failed model requests per task, OpenCode's own retries included. */
export const retryBudgetSchema = `
alter table tasks add column failed_requests integer not null default 0;
`;
