import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import type { DroverEvent, DroverEventBody } from "../core/events.ts";
import { type Db, sql } from "./database.ts";
import { appendEvent } from "./events.ts";

export const ScheduleOverlap = z.enum(["skip", "queue", "allow"]);
export type ScheduleOverlap = z.infer<typeof ScheduleOverlap>;
export const ScheduleCatchUp = z.enum(["none", "last"]);
export type ScheduleCatchUp = z.infer<typeof ScheduleCatchUp>;
export const FiringTrigger = z.enum(["schedule", "catch-up", "manual"]);
export type FiringTrigger = z.infer<typeof FiringTrigger>;
/** `firing`: claimed, its batch being submitted; `queued`: waits for the previous batch (overlap queue). */
export const FiringStatus = z.enum(["firing", "fired", "queued", "skipped", "missed", "failed"]);
export type FiringStatus = z.infer<typeof FiringStatus>;

/** A stored schedule. It runs a task file (`file`), one prompt (`prompt`, in `dir`), or a runner with a prompt. */
export const ScheduleRecord = z.object({
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  file: z.string().optional(),
  prompt: z.string().optional(),
  dir: z.string().optional(),
  runner: z.string().optional(),
  overlap: ScheduleOverlap,
  catchUp: ScheduleCatchUp,
  paused: z.boolean(),
  /** The latest slot handled (fired, skipped, missed…): the slots after it are due. */
  cursor: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ScheduleRecord = z.infer<typeof ScheduleRecord>;

/** One slot of a schedule, as it went. */
export const FiringRecord = z.object({
  key: z.string(),
  schedule: z.string(),
  slot: z.number(),
  trigger: FiringTrigger,
  status: FiringStatus,
  batchId: z.string().optional(),
  reason: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type FiringRecord = z.infer<typeof FiringRecord>;

/** Runs `write` in one immediate transaction and publishes the events it returns (the store's commit). */
export type CommitWrite = (write: (now: number) => DroverEvent[]) => void;

/** SQL for schedules and their firings; every change is written with its event in one transaction. */
export class ScheduleTable {
  readonly #db: Db;
  readonly #commit: CommitWrite;

  constructor(db: Db, commit: CommitWrite) {
    this.#db = db;
    this.#commit = commit;
  }

  get(name: string): ScheduleRecord | undefined {
    const row = sql(this.#db, "select * from schedules where name = ?").get(name) as ScheduleRow | undefined;
    return row ? toSchedule(row) : undefined;
  }

  list(): ScheduleRecord[] {
    return (sql(this.#db, "select * from schedules order by name").all() as ScheduleRow[]).map(toSchedule);
  }

  /** Adds a schedule (its cursor: when it was added); a taken name is a `conflict`. */
  add(schedule: Omit<ScheduleRecord, "cursor" | "createdAt" | "updatedAt">): void {
    this.#commit((now) => {
      if (this.get(schedule.name))
        throw new DroverError(
          "conflict",
          `a schedule named "${schedule.name}" exists already (drover schedule rm ${schedule.name} first)`,
        );
      sql(
        this.#db,
        `insert into schedules (name, cron, timezone, file, prompt, dir, runner, overlap, catch_up, paused,
           cursor, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        schedule.name,
        schedule.cron,
        schedule.timezone,
        schedule.file ?? null,
        schedule.prompt ?? null,
        schedule.dir ?? null,
        schedule.runner ?? null,
        schedule.overlap,
        schedule.catchUp,
        schedule.paused ? 1 : 0,
        now,
        now,
        now,
      );
      return [this.#event(now, { type: "schedule.changed", name: schedule.name, action: "added" })];
    });
  }

  /** Pauses or resumes; a resumed schedule's cursor moves to now (the slots it slept through are not due). */
  setPaused(name: string, paused: boolean): void {
    this.#commit((now) => {
      const changed = sql(
        this.#db,
        `update schedules set paused = ?, updated_at = ?, cursor = case when ? then cursor else ? end
           where name = ?`,
      ).run(paused ? 1 : 0, now, paused ? 1 : 0, now, name).changes;
      if (changed === 0) throw noSchedule(name);
      const action = paused ? "paused" : "resumed";
      return [this.#event(now, { type: "schedule.changed", name, action })];
    });
  }

  /** Removes a schedule and its history (a batch it submitted stays). */
  remove(name: string): void {
    this.#commit((now) => {
      if (sql(this.#db, "delete from schedules where name = ?").run(name).changes === 0)
        throw noSchedule(name);
      sql(this.#db, "delete from schedule_firings where schedule = ?").run(name);
      return [this.#event(now, { type: "schedule.changed", name, action: "removed" })];
    });
  }

  /** Moves the cursor forward to `slot` (never back: another daemon may have gone further). */
  advanceCursor(name: string, slot: number): void {
    this.#commit(() => {
      sql(this.#db, "update schedules set cursor = max(cursor, ?) where name = ?").run(slot, name);
      return [];
    });
  }

  /**
   * Records a slot unless it is recorded already (its key is the primary key): true for the one
   * caller that recorded it. `firing` claims the slot for the caller to submit its batch.
   */
  recordFiring(
    firing: Pick<FiringRecord, "key" | "schedule" | "slot" | "trigger" | "status" | "reason">,
    event?: DroverEventBody,
  ): boolean {
    let recorded = false;
    this.#commit((now) => {
      recorded =
        sql(
          this.#db,
          `insert into schedule_firings (key, schedule, slot, trigger, status, reason, created_at, updated_at)
             values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(key) do nothing`,
        ).run(
          firing.key,
          firing.schedule,
          firing.slot,
          firing.trigger,
          firing.status,
          firing.reason ?? null,
          now,
          now,
        ).changes === 1;
      return recorded && event ? [this.#event(now, event)] : [];
    });
    return recorded;
  }

  /** Claims a queued firing to submit it now: true for the one caller that moved it to `firing`. */
  claimQueued(key: string): boolean {
    let claimed = false;
    this.#commit((now) => {
      claimed =
        sql(
          this.#db,
          "update schedule_firings set status = 'firing', updated_at = ? where key = ? and status = 'queued'",
        ).run(now, key).changes === 1;
      return [];
    });
    return claimed;
  }

  /** Ends a claimed firing: `fired` with its batch, or `failed` with the reason. */
  settleFiring(
    key: string,
    result: { status: "fired" | "failed"; batchId?: string; reason?: string },
    event: DroverEventBody,
  ): void {
    this.#commit((now) => {
      sql(
        this.#db,
        "update schedule_firings set status = ?, batch_id = ?, reason = ?, updated_at = ? where key = ?",
      ).run(result.status, result.batchId ?? null, result.reason ?? null, now, key);
      return [this.#event(now, event)];
    });
  }

  getFiring(key: string): FiringRecord | undefined {
    const row = sql(this.#db, "select * from schedule_firings where key = ?").get(key) as
      | FiringRow
      | undefined;
    return row ? toFiring(row) : undefined;
  }

  /** A schedule's firings, latest slot first. */
  listFirings(name: string, limit: number): FiringRecord[] {
    const rows = sql(
      this.#db,
      "select * from schedule_firings where schedule = ? order by slot desc, created_at desc limit ?",
    ).all(name, limit) as FiringRow[];
    return rows.map(toFiring);
  }

  /** The latest firing that started a batch (or is starting one), for the overlap policy. */
  lastStarted(name: string): FiringRecord | undefined {
    const row = sql(
      this.#db,
      `select * from schedule_firings where schedule = ? and status in ('firing', 'fired')
         order by slot desc limit 1`,
    ).get(name) as FiringRow | undefined;
    return row ? toFiring(row) : undefined;
  }

  /** Firings in `status` (of one schedule, or all), oldest slot first. */
  withStatus(status: FiringStatus, name?: string): FiringRecord[] {
    const rows = (
      name === undefined
        ? sql(this.#db, "select * from schedule_firings where status = ? order by slot").all(status)
        : sql(this.#db, "select * from schedule_firings where status = ? and schedule = ? order by slot").all(
            status,
            name,
          )
    ) as FiringRow[];
    return rows.map(toFiring);
  }

  #event(now: number, body: DroverEventBody): DroverEvent {
    return appendEvent(this.#db, now, body);
  }
}

function noSchedule(name: string): DroverError {
  return new DroverError("not_found", `no schedule named "${name}" (drover schedule list)`);
}

interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string;
  file: string | null;
  prompt: string | null;
  dir: string | null;
  runner: string | null;
  overlap: string;
  catch_up: string;
  paused: number;
  cursor: number;
  created_at: number;
  updated_at: number;
}

const toSchedule = (row: ScheduleRow): ScheduleRecord => ({
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  ...(row.file !== null ? { file: row.file } : {}),
  ...(row.prompt !== null ? { prompt: row.prompt } : {}),
  ...(row.dir !== null ? { dir: row.dir } : {}),
  ...(row.runner !== null ? { runner: row.runner } : {}),
  overlap: row.overlap as ScheduleOverlap,
  catchUp: row.catch_up as ScheduleCatchUp,
  paused: row.paused === 1,
  cursor: row.cursor,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface FiringRow {
  key: string;
  schedule: string;
  slot: number;
  trigger: string;
  status: string;
  batch_id: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

const toFiring = (row: FiringRow): FiringRecord => ({
  key: row.key,
  schedule: row.schedule,
  slot: row.slot,
  trigger: row.trigger as FiringTrigger,
  status: row.status as FiringStatus,
  ...(row.batch_id !== null ? { batchId: row.batch_id } : {}),
  ...(row.reason !== null ? { reason: row.reason } : {}),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});
