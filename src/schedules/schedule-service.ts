import { z } from "zod";
import { zodIssues } from "../config/load.ts";
import type { Clock } from "../core/clock.ts";
import { badInput, DroverError } from "../core/errors.ts";
import { refuseSecrets } from "../security/secret-issue.ts";
import { FiringRecord, ScheduleRecord } from "../store/schedules.ts";
import type { Store } from "../store/store.ts";
import { checkTiming, localTimeZone, nextSlot } from "./cron-slots.ts";
import { type FiringDeps, fireSlot } from "./fire-slot.ts";
import { ScheduleInput } from "./schedule-input.ts";
import { prepareLaunch, type ScheduleLaunchDeps } from "./schedule-launch.ts";

/** A schedule as the API and CLI show it: its record, when it fires next, and its latest firing. */
export const ScheduleView = ScheduleRecord.omit({ cursor: true }).extend({
  /** The next slot (ms since the epoch); null while paused or when the expression never fires again. */
  next: z.number().nullable(),
  lastFiring: FiringRecord.optional(),
});
export type ScheduleView = z.infer<typeof ScheduleView>;

export interface ScheduleServiceDeps {
  store: Store;
  clock: Clock;
  /** How to read and check what a schedule runs (add), and, with `submit`, to fire it (run). */
  launch: Omit<ScheduleLaunchDeps, "submit"> & Partial<Pick<ScheduleLaunchDeps, "submit">>;
  /** Called after a change, so the daemon's loop plans again. */
  onChange?(): void;
}

/** Adding, listing, pausing, resuming, removing and running schedules: what the API and the CLI do. */
export class ScheduleService {
  readonly #deps: ScheduleServiceDeps;

  constructor(deps: ScheduleServiceDeps) {
    this.#deps = deps;
  }

  /** Validates a new schedule — name, cron, time zone, and what it runs, read now — and stores it. */
  async add(raw: unknown): Promise<ScheduleView> {
    const { store, clock, launch } = this.#deps;
    const parsed = ScheduleInput.safeParse(raw);
    if (!parsed.success)
      throw badInput(
        "bad_input",
        zodIssues(parsed.error, () => "schedule"),
      );
    const input = parsed.data;
    const source = `schedule ${input.name}`;
    const timezone = input.timezone ?? localTimeZone();
    const timingIssues = checkTiming({ cron: input.cron, timezone }, source, clock.now());
    if (timingIssues.length > 0) throw badInput("bad_input", timingIssues);
    const record = {
      name: input.name,
      cron: input.cron,
      timezone,
      ...(input.file !== undefined ? { file: input.file } : {}),
      ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
      ...(input.prompt !== undefined && input.runner === undefined
        ? { dir: input.dir ?? launch.baseDir }
        : {}),
      ...(input.runner !== undefined ? { runner: input.runner } : {}),
      overlap: input.overlap,
      catchUp: input.catchUp,
      paused: input.paused,
    };
    if (store.schedules.get(record.name))
      throw new DroverError(
        "conflict",
        `a schedule named "${record.name}" exists already (drover schedule rm ${record.name} first)`,
      );
    if (record.runner !== undefined) {
      if (!store.runners.get(record.runner))
        throw badInput("bad_input", [
          { source, path: "runner", message: `no runner named "${record.runner}" (drover runner list)` },
        ]);
      refuseSecrets([
        { source, path: "prompt", what: `the prompt of schedule ${record.name}`, text: record.prompt ?? "" },
      ]);
    } else {
      // Reads the task file (or the prompt) as a firing will, so a schedule that cannot run is refused now.
      const submit = () => {
        throw new DroverError("internal", "not submitted");
      };
      await prepareLaunch(
        { ...launch, submit },
        { ...record, cursor: 0, createdAt: 0, updatedAt: 0 },
        `${record.name}@check`,
      );
    }
    store.schedules.add(record);
    this.#deps.onChange?.();
    return this.get(record.name).schedule;
  }

  list(): ScheduleView[] {
    return this.#deps.store.schedules.list().map((record) => this.#view(record));
  }

  /** A schedule with its latest firings. */
  get(name: string, limit = 10): { schedule: ScheduleView; firings: FiringRecord[] } {
    return { schedule: this.#view(this.#record(name)), firings: this.history(name, limit) };
  }

  /** The next firing of each schedule (for `drover status`). */
  upcoming(): { name: string; cron: string; timezone: string; paused: boolean; next: number | null }[] {
    return this.list().map(({ name, cron, timezone, paused, next }) => ({
      name,
      cron,
      timezone,
      paused,
      next,
    }));
  }

  pause(name: string): ScheduleView {
    return this.#setPaused(name, true);
  }

  /** Resumes from now: the slots that passed while paused are not fired. */
  resume(name: string): ScheduleView {
    return this.#setPaused(name, false);
  }

  remove(name: string): void {
    this.#deps.store.schedules.remove(name);
    this.#deps.onChange?.();
  }

  /** Fires the schedule now (a `manual` slot, whatever its overlap policy); needs the daemon. */
  async run(name: string): Promise<FiringRecord> {
    const { store, clock, launch } = this.#deps;
    const schedule = this.#record(name);
    const submit = launch.submit;
    if (!submit)
      throw new DroverError(
        "engine_unavailable",
        `running schedule ${name} needs the drover daemon (start one with \`drover daemon\`)`,
      );
    const deps: FiringDeps = { ...launch, submit, store };
    const firing = await fireSlot(deps, schedule, clock.now(), "manual");
    if (!firing) throw new DroverError("internal", `schedule ${name}: the manual firing left no record`);
    return firing;
  }

  /** A schedule's firings, latest slot first. */
  history(name: string, limit = 50): FiringRecord[] {
    this.#record(name);
    return this.#deps.store.schedules.listFirings(name, limit);
  }

  #setPaused(name: string, paused: boolean): ScheduleView {
    this.#deps.store.schedules.setPaused(name, paused);
    this.#deps.onChange?.();
    return this.#view(this.#record(name));
  }

  #record(name: string): ScheduleRecord {
    const record = this.#deps.store.schedules.get(name);
    if (!record) throw new DroverError("not_found", `no schedule named "${name}" (drover schedule list)`);
    return record;
  }

  #view(record: ScheduleRecord): ScheduleView {
    const { cursor, ...rest } = record;
    const next = record.paused ? undefined : nextSlot(record, Math.max(cursor, this.#deps.clock.now()));
    const lastFiring = this.#deps.store.schedules.listFirings(record.name, 1)[0];
    return { ...rest, next: next ?? null, ...(lastFiring ? { lastFiring } : {}) };
  }
}
