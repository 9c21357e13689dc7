import { errorMessage } from "../core/errors.ts";
import type { FiringRecord, FiringTrigger, ScheduleRecord } from "../store/schedules.ts";
import type { Store } from "../store/store.ts";
import { prepareLaunch, type ScheduleLaunchDeps } from "./schedule-launch.ts";

export interface FiringDeps extends ScheduleLaunchDeps {
  store: Store;
}

/** A slot's key: `NAME@<slot as ISO time>`, the idempotency key of the batch it submits. */
export const firingKey = (name: string, slot: number) => `${name}@${new Date(slot).toISOString()}`;

/**
 * Fires one slot of a schedule under its overlap policy (a manual run ignores it): `skip` records
 * the slot skipped while the previous firing's batch runs; `queue` records it queued (at most one;
 * `fireQueued` starts it once that batch ends); `allow` starts it regardless. Returns the slot's
 * record — another daemon's, if it got there first. Never throws: a failure is recorded as data.
 */
export async function fireSlot(
  deps: FiringDeps,
  schedule: ScheduleRecord,
  slot: number,
  trigger: FiringTrigger,
): Promise<FiringRecord | undefined> {
  const table = deps.store.schedules;
  const key = firingKey(schedule.name, slot);
  const base = { key, schedule: schedule.name, slot, trigger };
  const running = trigger === "manual" ? undefined : runningBatch(deps.store, schedule.name);
  if (running !== undefined && schedule.overlap !== "allow") {
    const queued = table.withStatus("queued", schedule.name)[0];
    if (schedule.overlap === "queue" && !queued) {
      const reason = `waits for ${running}, the previous firing's batch`;
      table.recordFiring(
        { ...base, status: "queued", reason },
        { type: "schedule.queued", name: schedule.name, slot, key, reason },
      );
    } else {
      const reason = queued
        ? `slot ${new Date(queued.slot).toISOString()} is already queued behind ${running}`
        : `the previous firing's batch ${running} is still running (overlap skip)`;
      table.recordFiring(
        { ...base, status: "skipped", reason },
        { type: "schedule.skipped", name: schedule.name, slot, key, reason },
      );
    }
    return table.getFiring(key);
  }
  await launch(deps, schedule, base, "new");
  return table.getFiring(key);
}

/** Starts a queued firing of a schedule once nothing of it runs; true when it was started here. */
export async function fireQueued(
  deps: FiringDeps,
  schedule: ScheduleRecord,
  firing: FiringRecord,
): Promise<boolean> {
  if (runningBatch(deps.store, schedule.name) !== undefined) return false;
  return launch(deps, schedule, firing, "queued");
}

/** The batch of the schedule's latest started firing while it is unfinished (a firing in progress counts). */
export function runningBatch(store: Store, name: string): string | undefined {
  const last = store.schedules.lastStarted(name);
  if (!last) return undefined;
  if (last.status === "firing") return last.batchId ?? `slot ${new Date(last.slot).toISOString()}`;
  if (!last.batchId) return undefined;
  const batch = store.getBatch(last.batchId);
  return batch && batch.finishedAt === undefined ? last.batchId : undefined;
}

/**
 * Reads what to run, claims the slot (a new row, or the queued one), then starts its work. The
 * claim comes after every wait and right before the submit, so of two daemons only the one whose
 * claim landed submits; the other sees the slot recorded and does nothing.
 */
async function launch(
  deps: FiringDeps,
  schedule: ScheduleRecord,
  firing: Pick<FiringRecord, "key" | "schedule" | "slot" | "trigger">,
  from: "new" | "queued",
): Promise<boolean> {
  const table = deps.store.schedules;
  const { key, slot } = firing;
  const failed = (error: unknown) => ({
    type: "schedule.failed" as const,
    name: schedule.name,
    slot,
    key,
    reason: errorMessage(error),
  });
  let start: Awaited<ReturnType<typeof prepareLaunch>>;
  try {
    start = await prepareLaunch(deps, schedule, key);
  } catch (error) {
    // Nothing was started: the slot is recorded failed (a queued one too), with the reason.
    const event = failed(error);
    if (from === "queued") {
      if (table.claimQueued(key)) table.settleFiring(key, { status: "failed", reason: event.reason }, event);
    } else table.recordFiring({ ...firing, status: "failed", reason: event.reason }, event);
    return false;
  }
  const claimed =
    from === "queued" ? table.claimQueued(key) : table.recordFiring({ ...firing, status: "firing" });
  if (!claimed) return false;
  try {
    const batchId = await start();
    table.settleFiring(
      key,
      { status: "fired", batchId },
      { type: "schedule.fired", name: schedule.name, slot, key, batchId, trigger: firing.trigger },
    );
    return true;
  } catch (error) {
    const event = failed(error);
    table.settleFiring(key, { status: "failed", reason: event.reason }, event);
    return false;
  }
}
