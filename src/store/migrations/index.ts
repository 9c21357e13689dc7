import { initialSchema } from "./0001-initial.ts";
import { supervisorSchema } from "./0002-supervisor.ts";
import { runnersMemoryMailSchema } from "./0003-runners-memory-mail.ts";
import { retryBudgetSchema } from "./0004-retry-budget.ts";
import { attemptTranscriptSchema } from "./0005-attempt-transcript.ts";
import { inboxSchema } from "./0006-inbox.ts";
import { workspacesSchema } from "./0007-workspaces.ts";
import { schedulesSchema } from "./0008-schedules.ts";
import { spendSchema } from "./0009-spend.ts";
import { issueFollowupsSchema } from "./0010-issue-followups.ts";

/** Numbered migrations, applied in order, each once; never edit one that has shipped. */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: "initial", sql: initialSchema },
  { version: 2, name: "supervisor", sql: supervisorSchema },
  { version: 3, name: "runners-memory-mail", sql: runnersMemoryMailSchema },
  { version: 4, name: "retry-budget", sql: retryBudgetSchema },
  { version: 5, name: "attempt-transcript", sql: attemptTranscriptSchema },
  { version: 6, name: "inbox", sql: inboxSchema },
  { version: 7, name: "workspaces", sql: workspacesSchema },
  { version: 8, name: "schedules", sql: schedulesSchema },
  { version: 9, name: "spend", sql: spendSchema },
  { version: 10, name: "issue-followups", sql: issueFollowupsSchema },
];
