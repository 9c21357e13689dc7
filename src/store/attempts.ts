import { z } from "zod";
import type { TokenCounts } from "../core/liveness.ts";
import type { AttemptFailure } from "../core/outcome.ts";
import { redactSecretsIn } from "../security/redact-value.ts";
import { redactSecrets } from "../security/secret-scan.ts";
import { type Db, sql } from "./database.ts";

/** An attempt's conversation as stored (the engine caps its size); read back through this schema. */
export const StoredTranscript = z.object({
  messages: z.array(
    z.object({
      role: z.enum(["user", "assistant"]),
      at: z.number().optional(),
      text: z.string(),
      tools: z.array(
        z.object({
          tool: z.string(),
          input: z.string(),
          status: z.enum(["pending", "running", "completed", "error"]),
          output: z.string().optional(),
        }),
      ),
      error: z.string().optional(),
    }),
  ),
  omittedMessages: z.number().int().nonnegative(),
  truncated: z.boolean(),
});
export type StoredTranscript = z.infer<typeof StoredTranscript>;

/** The columns of an attempt row, without its (large) transcript. */
const attemptColumns =
  "id, batch_id, task_id, number, kind, prompt, engine, server, session_id, status, failure, tokens, cost, final_text, files_changed, started_at, finished_at";

export interface AttemptRecord {
  id: string;
  batchId: string;
  taskId: string;
  number: number;
  kind: string;
  prompt?: string;
  engine: string;
  server?: string;
  sessionId?: string;
  status: string;
  failure?: AttemptFailure;
  tokens?: TokenCounts;
  cost: number;
  finalText?: string;
  filesChanged: string[];
  startedAt: number;
  finishedAt?: number;
}

interface AttemptRow {
  id: string;
  batch_id: string;
  task_id: string;
  number: number;
  kind: string;
  prompt: string | null;
  engine: string;
  server: string | null;
  session_id: string | null;
  status: string;
  failure: string | null;
  tokens: string | null;
  cost: number;
  final_text: string | null;
  files_changed: string | null;
  started_at: number;
  finished_at: number | null;
}

export function insertAttempt(
  db: Db,
  attempt: {
    id: string;
    batchId: string;
    taskId: string;
    number: number;
    kind: string;
    engine: string;
    startedAt: number;
    prompt?: string;
  },
): void {
  sql(
    db,
    `insert into attempts (id, batch_id, task_id, number, kind, engine, status, started_at, prompt)
     values (?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
  ).run(
    attempt.id,
    attempt.batchId,
    attempt.taskId,
    attempt.number,
    attempt.kind,
    attempt.engine,
    attempt.startedAt,
    attempt.prompt ?? null,
  );
}

/** The attempt of a task that is still open (status running), if any. */
export function getOpenAttempt(db: Db, batchId: string, taskId: string): AttemptRecord | undefined {
  const row = sql(
    db,
    `select ${attemptColumns} from attempts where batch_id = ? and task_id = ? and status = 'running' order by number desc limit 1`,
  ).get(batchId, taskId) as AttemptRow | undefined;
  return row ? toAttempt(row) : undefined;
}

export function setAttemptSession(db: Db, attemptId: string, sessionId: string, server: string): void {
  sql(db, "update attempts set session_id = ?, server = ? where id = ?").run(sessionId, server, attemptId);
}

/** Closes a running attempt; returns false when it was already closed (an outcome is recorded once). */
export function finishAttempt(
  db: Db,
  attemptId: string,
  result: {
    status: string;
    failure?: AttemptFailure;
    tokens: TokenCounts;
    cost: number;
    finalText?: string;
    filesChanged: string[];
    finishedAt: number;
    transcript?: StoredTranscript;
  },
): boolean {
  const info = sql(
    db,
    `update attempts set status = ?, failure = ?, tokens = ?, cost = ?, final_text = ?, files_changed = ?, finished_at = ?,
       transcript = coalesce(?, transcript)
       where id = ? and status = 'running'`,
  ).run(
    result.status,
    // Failures, answers and tool outputs come from outside drover: secrets are redacted before storing.
    result.failure ? JSON.stringify(redactSecretsIn(result.failure)) : null,
    JSON.stringify(result.tokens),
    result.cost,
    result.finalText !== undefined ? redactSecrets(result.finalText) : null,
    JSON.stringify(result.filesChanged),
    result.finishedAt,
    result.transcript ? JSON.stringify(redactSecretsIn(result.transcript)) : null,
    attemptId,
  );
  return info.changes === 1;
}

/** The stored transcripts of a task's attempts, by attempt id (attempts without one are left out). */
export function listAttemptTranscripts(
  db: Db,
  batchId: string,
  taskId: string,
): Map<string, StoredTranscript> {
  const rows = sql(
    db,
    "select id, transcript from attempts where batch_id = ? and task_id = ? and transcript is not null order by number",
  ).all(batchId, taskId) as { id: string; transcript: string }[];
  const transcripts = new Map<string, StoredTranscript>();
  for (const row of rows) {
    const parsed = StoredTranscript.safeParse(safeJson(row.transcript));
    if (parsed.success) transcripts.set(row.id, parsed.data);
  }
  return transcripts;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function listAttempts(db: Db, batchId: string, taskId?: string): AttemptRecord[] {
  const rows = (
    taskId
      ? sql(
          db,
          `select ${attemptColumns} from attempts where batch_id = ? and task_id = ? order by number`,
        ).all(batchId, taskId)
      : sql(db, `select ${attemptColumns} from attempts where batch_id = ? order by started_at`).all(batchId)
  ) as AttemptRow[];
  return rows.map(toAttempt);
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    batchId: row.batch_id,
    taskId: row.task_id,
    number: row.number,
    kind: row.kind,
    ...(row.prompt !== null ? { prompt: row.prompt } : {}),
    engine: row.engine,
    ...(row.server ? { server: row.server } : {}),
    ...(row.session_id ? { sessionId: row.session_id } : {}),
    status: row.status,
    ...(row.failure ? { failure: JSON.parse(row.failure) as AttemptFailure } : {}),
    ...(row.tokens ? { tokens: JSON.parse(row.tokens) as TokenCounts } : {}),
    cost: row.cost,
    ...(row.final_text !== null ? { finalText: row.final_text } : {}),
    filesChanged: row.files_changed ? (JSON.parse(row.files_changed) as string[]) : [],
    startedAt: row.started_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}
