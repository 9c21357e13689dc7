import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { EventBus } from "../core/events.ts";
import { every } from "../core/every.ts";
import type { ScheduleRecord } from "../store/store.ts";
import { dueSlots, nextSlot } from "./cron-slots.ts";
import { type FiringDeps, fireQueued, fireSlot, firingKey } from "./fire-slot.ts";

export interface SchedulerDeps extends FiringDeps {
  clock: Clock;
  bus: EventBus;
  /** Longest sleep between passes: picks up what other processes changed in the store (default 60 s). */
  rescanMs?: number;
}

/** Missed slots recorded one by one per schedule and pass; earlier ones are summed up in a warning. */
const missedSlotLimit = 100;
/** A slot claimed this long ago and still `firing` belongs to a daemon that stopped mid-submit. */
const interruptedFiringMs = 60_000;

/**
 * The daemon's schedule loop. It sleeps on the injected clock until the earliest next slot of
 * any schedule, then handles every due slot: the latest fires (under the overlap policy), earlier
 * ones are recorded missed. Slots that passed before it started follow the schedule's catch-up
 * (`none`: recorded missed; `last`: the latest fires once). Queued firings start when the batch
 * they wait for finishes. Passes run one at a time and never throw: a failure becomes a `warning`.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  #startedAt = 0;
  #stopped = true;
  #timer: { cancel(): void } | undefined;
  #rescan: { cancel(): void } | undefined;
  #unsubscribe: (() => void) | undefined;
  #passing: Promise<void> | undefined;
  #again = false;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  /** Starts the loop: slots before now count as passed while no daemon ran. */
  start(): void {
    if (!this.#stopped) return;
    const { clock, bus } = this.#deps;
    this.#stopped = false;
    this.#startedAt = clock.now();
    this.#unsubscribe = bus.subscribe((event) => {
      if (event.type === "batch.finished") this.kick();
    });
    this.#rescan = every(
      clock,
      this.#deps.rescanMs ?? 60_000,
      () => this.kick(),
      (error) => this.#warn(error),
    );
    this.kick();
  }

  /** Stops the loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#rescan?.cancel();
    this.#unsubscribe?.();
    await this.#passing;
  }

  /** Asks for a pass soon (after a change to the schedules, or a batch that ended). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#passing) {
      this.#again = true;
      return;
    }
    this.#passing = this.#passes().finally(() => {
      this.#passing = undefined;
    });
  }

  /** Resolves when no pass is running (tests wait on this after moving the clock). */
  async whenIdle(): Promise<void> {
    while (this.#passing) await this.#passing;
  }

  async #passes(): Promise<void> {
    // Out of the caller's stack first: a kick may come from inside the supervisor (batch.finished).
    await Promise.resolve();
    do {
      this.#again = false;
      try {
        await this.#pass();
      } catch (error) {
        this.#warn(error);
      }
    } while (this.#again && !this.#stopped);
    if (!this.#stopped) this.#arm();
  }

  async #pass(): Promise<void> {
    const { store, clock } = this.#deps;
    const table = store.schedules;
    const now = clock.now();
    for (const firing of table.withStatus("firing")) {
      if (firing.updatedAt > now - interruptedFiringMs) continue;
      const reason = "the daemon stopped while submitting this slot's batch";
      table.settleFiring(
        firing.key,
        { status: "failed", reason },
        { type: "schedule.failed", name: firing.schedule, slot: firing.slot, key: firing.key, reason },
      );
    }
    for (const firing of table.withStatus("queued")) {
      const schedule = table.get(firing.schedule);
      if (schedule && !schedule.paused)
        await this.#guard(schedule, () => fireQueued(this.#deps, schedule, firing));
    }
    for (const schedule of table.list()) {
      if (!schedule.paused && !this.#stopped)
        await this.#guard(schedule, () => this.#handleDue(schedule, now));
    }
  }

  async #handleDue(schedule: ScheduleRecord, now: number): Promise<void> {
    const { slots, more } = dueSlots(schedule, schedule.cursor, now, missedSlotLimit);
    const latest = slots.at(-1);
    if (latest === undefined) return;
    const whileDown = slots.filter((slot) => slot < this.#startedAt);
    const live = slots.filter((slot) => slot >= this.#startedAt);
    const missed: { slot: number; reason: string }[] = [];
    const fire: { slot: number; trigger: "schedule" | "catch-up" }[] = [];
    const lastDown = whileDown.at(-1);
    if (lastDown !== undefined && schedule.catchUp === "last") {
      for (const slot of whileDown.slice(0, -1))
        missed.push({
          slot,
          reason: "no daemon was running (catch-up last fires only the latest missed slot)",
        });
      fire.push({ slot: lastDown, trigger: "catch-up" });
    } else {
      for (const slot of whileDown) missed.push({ slot, reason: "no daemon was running (catch-up none)" });
    }
    const lastLive = live.at(-1);
    if (lastLive !== undefined) {
      for (const slot of live.slice(0, -1))
        missed.push({
          slot,
          reason: "the daemon was too busy to fire it in time; only the latest due slot fires",
        });
      fire.push({ slot: lastLive, trigger: "schedule" });
    }
    if (more)
      this.#warn(
        `schedule ${schedule.name}: more than ${missedSlotLimit} slots were missed before ${new Date(slots[0] ?? latest).toISOString()}; only the last ${missedSlotLimit} are in its history`,
      );
    const table = this.#deps.store.schedules;
    for (const { slot, reason } of missed) {
      const key = firingKey(schedule.name, slot);
      table.recordFiring(
        { key, schedule: schedule.name, slot, trigger: "schedule", status: "missed", reason },
        { type: "schedule.missed", name: schedule.name, slot, key, reason },
      );
    }
    for (const { slot, trigger } of fire) await fireSlot(this.#deps, schedule, slot, trigger);
    table.advanceCursor(schedule.name, latest);
  }

  /** Sleeps until the earliest next slot of the running schedules. */
  #arm(): void {
    const { store, clock } = this.#deps;
    this.#timer?.cancel();
    this.#timer = undefined;
    const now = clock.now();
    let earliest: number | undefined;
    for (const schedule of store.schedules.list()) {
      if (schedule.paused) continue;
      try {
        const next = nextSlot(schedule, Math.max(now, schedule.cursor));
        if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
      } catch (error) {
        this.#warn(`schedule ${schedule.name}: ${errorMessage(error)}`);
      }
    }
    if (earliest !== undefined) this.#timer = clock.setTimeout(() => this.kick(), earliest - now);
  }

  async #guard(schedule: ScheduleRecord, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#warn(`schedule ${schedule.name}: ${errorMessage(error)}`);
    }
  }

  #warn(error: unknown): void {
    try {
      this.#deps.store.reportEvent({ type: "warning", code: "schedule", message: errorMessage(error) });
    } catch {
      // Nothing is left to report through.
    }
  }
}
