import { redactSecretsIn } from "../security/redact-value.ts";
import { type Db, sql } from "./database.ts";

export interface RunnerRecord {
  name: string;
  description: string;
  model?: string;
  agent?: string;
  dir?: string;
  instructions: string;
  settings: Record<string, unknown>;
  lastSessionId?: string;
  lastServer?: string;
  runCount: number;
  lastStatus?: string;
  lastRunAt?: number;
  activeRun?: string;
  createdAt: number;
  updatedAt: number;
}

export interface RunnerRunRecord {
  id: string;
  runner: string;
  prompt: string;
  continued: boolean;
  batchId?: string;
  status: string;
  sessionId?: string;
  outcome?: unknown;
  pid: number;
  startedAt: number;
  finishedAt?: number;
}

interface RunnerRow {
  name: string;
  description: string;
  model: string | null;
  agent: string | null;
  dir: string | null;
  instructions: string;
  settings: string;
  last_session_id: string | null;
  last_server: string | null;
  run_count: number;
  last_status: string | null;
  last_run_at: number | null;
  active_run: string | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: string;
  runner: string;
  prompt: string;
  continued: number;
  batch_id: string | null;
  status: string;
  session_id: string | null;
  outcome: string | null;
  pid: number;
  started_at: number;
  finished_at: number | null;
}

const toRunner = (row: RunnerRow): RunnerRecord => ({
  name: row.name,
  description: row.description,
  ...(row.model ? { model: row.model } : {}),
  ...(row.agent ? { agent: row.agent } : {}),
  ...(row.dir ? { dir: row.dir } : {}),
  instructions: row.instructions,
  settings: JSON.parse(row.settings) as Record<string, unknown>,
  ...(row.last_session_id ? { lastSessionId: row.last_session_id } : {}),
  ...(row.last_server ? { lastServer: row.last_server } : {}),
  runCount: row.run_count,
  ...(row.last_status ? { lastStatus: row.last_status } : {}),
  ...(row.last_run_at ? { lastRunAt: row.last_run_at } : {}),
  ...(row.active_run ? { activeRun: row.active_run } : {}),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRun = (row: RunRow): RunnerRunRecord => ({
  id: row.id,
  runner: row.runner,
  prompt: row.prompt,
  continued: row.continued === 1,
  ...(row.batch_id ? { batchId: row.batch_id } : {}),
  status: row.status,
  ...(row.session_id ? { sessionId: row.session_id } : {}),
  ...(row.outcome ? { outcome: JSON.parse(row.outcome) as unknown } : {}),
  pid: row.pid,
  startedAt: row.started_at,
  ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
});

/** SQL for runners, their runs, and the per-runner lock. */
export class RunnerTable {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  insert(runner: Omit<RunnerRecord, "runCount" | "createdAt" | "updatedAt">, now: number): void {
    sql(
      this.#db,
      `insert into runners (name, description, model, agent, dir, instructions, settings, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runner.name,
      runner.description,
      runner.model ?? null,
      runner.agent ?? null,
      runner.dir ?? null,
      runner.instructions,
      JSON.stringify(runner.settings),
      now,
      now,
    );
  }

  get(name: string): RunnerRecord | undefined {
    const row = sql(this.#db, "select * from runners where name = ?").get(name) as RunnerRow | undefined;
    return row ? toRunner(row) : undefined;
  }

  list(): RunnerRecord[] {
    return (sql(this.#db, "select * from runners order by name").all() as RunnerRow[]).map(toRunner);
  }

  update(
    name: string,
    fields: Partial<
      Pick<RunnerRecord, "description" | "model" | "agent" | "dir" | "instructions" | "settings">
    >,
    now: number,
  ): void {
    const columns: Record<string, unknown> = {};
    if (fields.description !== undefined) columns.description = fields.description;
    if (fields.model !== undefined) columns.model = fields.model;
    if (fields.agent !== undefined) columns.agent = fields.agent;
    if (fields.dir !== undefined) columns.dir = fields.dir;
    if (fields.instructions !== undefined) columns.instructions = fields.instructions;
    if (fields.settings !== undefined) columns.settings = JSON.stringify(fields.settings);
    const keys = Object.keys(columns);
    if (keys.length === 0) return;
    sql(
      this.#db,
      `update runners set ${keys.map((key) => `${key} = ?`).join(", ")}, updated_at = ? where name = ?`,
    ).run(...Object.values(columns), now, name);
  }

  delete(name: string): boolean {
    return sql(this.#db, "delete from runners where name = ?").run(name).changes === 1;
  }

  /** Takes the runner's lock for a run, atomically; false when another run holds it. */
  lock(
    name: string,
    run: { id: string; prompt: string; continued: boolean; pid: number },
    now: number,
  ): boolean {
    return this.#db.transaction(() => {
      const taken =
        sql(this.#db, "update runners set active_run = ? where name = ? and active_run is null").run(
          run.id,
          name,
        ).changes === 1;
      if (!taken) return false;
      sql(
        this.#db,
        "insert into runner_runs (id, runner, prompt, continued, status, pid, started_at) values (?, ?, ?, ?, 'running', ?, ?)",
      ).run(run.id, name, run.prompt, run.continued ? 1 : 0, run.pid, now);
      return true;
    })();
  }

  attachBatch(runId: string, batchId: string): void {
    sql(this.#db, "update runner_runs set batch_id = ? where id = ?").run(batchId, runId);
  }

  /** Ends a run, records it on the runner, and releases the lock, in one transaction. */
  finish(
    name: string,
    runId: string,
    result: { status: string; sessionId?: string; server?: string; outcome?: unknown },
    now: number,
  ): void {
    this.#db.transaction(() => {
      sql(
        this.#db,
        "update runner_runs set status = ?, session_id = ?, outcome = ?, finished_at = ? where id = ?",
      ).run(
        result.status,
        result.sessionId ?? null,
        result.outcome ? JSON.stringify(redactSecretsIn(result.outcome)) : null,
        now,
        runId,
      );
      sql(
        this.#db,
        `update runners set run_count = run_count + 1, last_status = ?, last_run_at = ?,
             last_session_id = coalesce(?, last_session_id), last_server = coalesce(?, last_server),
             active_run = case when active_run = ? then null else active_run end
           where name = ?`,
      ).run(result.status, now, result.sessionId ?? null, result.server ?? null, runId, name);
    })();
  }

  getRun(id: string): RunnerRunRecord | undefined {
    const row = sql(this.#db, "select * from runner_runs where id = ?").get(id) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  runs(name: string, limit: number): RunnerRunRecord[] {
    return (
      sql(
        this.#db,
        "select * from runner_runs where runner = ? order by started_at desc, rowid desc limit ?",
      ).all(name, limit) as RunRow[]
    ).map(toRun);
  }
}
