import type { DroverEvent } from "../core/events.ts";
import { type Db, sql } from "./database.ts";

/** What a budget caps: one task, one batch, one runner, or everything in a UTC day. */
export type SpendScope = "task" | "batch" | "runner" | "day";
export const spendScopes: readonly SpendScope[] = ["task", "batch", "runner", "day"];

/** Caps in USD; a missing one is no cap. */
export type SpendCaps = Partial<Record<SpendScope, number>>;

/** Where an attempt's spend counts. */
export interface SpendPlace {
  batchId: string;
  taskId: string;
  runner?: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

/** A cap an amount would pass: what was spent (and reserved) in its scope, and what was asked. */
export interface CapHit {
  scope: SpendScope;
  cap: number;
  spent: number;
  wanted: number;
}

export interface SpendRow {
  key: string;
  /** USD: settled attempts' actual cost plus open reservations. */
  spent: number;
  /** USD still reserved by attempts that have not ended. */
  reserved: number;
  attempts: number;
}

export type SpendGrouping = "task" | "batch" | "model" | "runner" | "day";

type Commit = (write: (now: number) => DroverEvent[]) => void;

const spentSql = "coalesce(sum(case when state = 'settled' then actual else reserved end), 0)";

/**
 * The spend ledger. A reservation is checked against every cap and written in one immediate
 * transaction, so drovers sharing the database (a daemon and a `drover run`, two runs) can never
 * reserve past a cap together.
 */
export class SpendTable {
  readonly #db: Db;
  readonly #commit: Commit;

  constructor(db: Db, commit: Commit) {
    this.#db = db;
    this.#commit = commit;
  }

  /** Reserves `amount` for an attempt unless that would pass a cap; returns the cap it would pass. */
  reserve(
    entry: SpendPlace & { attemptId: string; model: string; amount: number },
    caps: SpendCaps,
  ): CapHit | undefined {
    let hit: CapHit | undefined;
    this.#commit((now) => {
      hit = this.#firstHit(entry, entry.amount, caps);
      if (hit) return [];
      sql(
        this.#db,
        `insert into spend (attempt_id, batch_id, task_id, runner, model, day, reserved, state, created_at)
           values (?, ?, ?, ?, ?, ?, ?, 'reserved', ?)
         on conflict (attempt_id) do update set reserved = excluded.reserved`,
      ).run(
        entry.attemptId,
        entry.batchId,
        entry.taskId,
        entry.runner ?? null,
        entry.model,
        entry.day,
        entry.amount,
        now,
      );
      return [];
    });
    return hit;
  }

  /**
   * The cap a running attempt passes now that it has cost `live` (USD) so far: its own reservation
   * is replaced by what it actually spends.
   */
  passedWhileRunning(
    place: SpendPlace & { attemptId: string },
    live: number,
    caps: SpendCaps,
  ): CapHit | undefined {
    return this.#firstHit(place, live, caps, place.attemptId);
  }

  /** Whether `amount` more would pass a cap (nothing is reserved). */
  wouldPass(place: SpendPlace, amount: number, caps: SpendCaps): CapHit | undefined {
    return this.#firstHit(place, amount, caps);
  }

  /** Settles an attempt's reservation to what it cost. */
  settle(attemptId: string, actual: number): void {
    this.#commit((now) => {
      sql(
        this.#db,
        "update spend set actual = ?, state = 'settled', settled_at = ? where attempt_id = ?",
      ).run(actual, now, attemptId);
      return [];
    });
  }

  /**
   * Reservations whose attempt was closed without settling them (a drover killed mid-attempt, its
   * attempts closed by recovery) settle to the attempt's recorded cost; one whose attempt never
   * started (older than `orphanAfterMs`) to nothing. Returns how many were settled.
   */
  settleClosed(orphanAfterMs = 60_000): number {
    let settled = 0;
    this.#commit((now) => {
      settled = sql(
        this.#db,
        `update spend set state = 'settled', settled_at = ?,
           actual = coalesce((select a.cost from attempts a where a.id = spend.attempt_id and a.finished_at is not null), 0)
         where state = 'reserved' and (
           exists (select 1 from attempts a where a.id = spend.attempt_id and a.finished_at is not null)
           or (not exists (select 1 from attempts a where a.id = spend.attempt_id) and created_at < ?))`,
      ).run(now, now - orphanAfterMs).changes;
      return [];
    });
    return settled;
  }

  /** Mean settled cost of a model's attempts, or undefined before its first. */
  meanCost(model: string): number | undefined {
    const row = sql(
      this.#db,
      "select avg(actual) as mean from spend where model = ? and state = 'settled' and actual > 0",
    ).get(model) as { mean: number | null };
    return row.mean ?? undefined;
  }

  /** Spend grouped by task (batch/task), batch, model, runner or day, since a time (ms). */
  report(by: SpendGrouping, since = 0): SpendRow[] {
    const key = {
      task: "batch_id || '/' || task_id",
      batch: "batch_id",
      model: "model",
      runner: "runner",
      day: "day",
    }[by];
    return sql(
      this.#db,
      `select ${key} as key, ${spentSql} as spent,
              coalesce(sum(case when state = 'reserved' then reserved else 0 end), 0) as reserved,
              count(*) as attempts
         from spend where created_at >= ? ${by === "runner" ? "and runner is not null" : ""}
         group by ${key} order by spent desc, key`,
    ).all(since) as SpendRow[];
  }

  /** A batch's own budget (a task file's `budget`), if it has one. */
  batchBudget(batchId: string): number | undefined {
    const row = sql(this.#db, "select budget from batches where id = ?").get(batchId) as
      | { budget: number | null }
      | undefined;
    return row?.budget ?? undefined;
  }

  setBatchBudget(batchId: string, budget: number): void {
    sql(this.#db, "update batches set budget = ? where id = ?").run(budget, batchId);
  }

  #firstHit(place: SpendPlace, amount: number, caps: SpendCaps, excluding?: string): CapHit | undefined {
    const scopes: Record<SpendScope, { clause: string; params: string[] } | undefined> = {
      task: { clause: "batch_id = ? and task_id = ?", params: [place.batchId, place.taskId] },
      batch: { clause: "batch_id = ?", params: [place.batchId] },
      runner: place.runner ? { clause: "runner = ?", params: [place.runner] } : undefined,
      day: { clause: "day = ?", params: [place.day] },
    };
    for (const scope of spendScopes) {
      const cap = caps[scope];
      const filter = scopes[scope];
      if (cap === undefined || !filter) continue;
      const row = sql(
        this.#db,
        `select ${spentSql} as spent from spend where ${filter.clause} and attempt_id != ?`,
      ).get(...filter.params, excluding ?? "") as { spent: number };
      if (row.spent + amount > cap + 1e-12) return { scope, cap, spent: row.spent, wanted: amount };
    }
    return undefined;
  }
}
