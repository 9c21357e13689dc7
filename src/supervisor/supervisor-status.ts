import type { CapacityReading } from "./capacity.ts";
import { capacityNow } from "./schedule-tick.ts";
import type { SupervisorCore } from "./supervisor-core.ts";

// What `drover status` and the API show about the supervisor, with the one sentence that says
// why it runs no more than it does; read-only over the mirror.

export interface SupervisorStatus {
  owner: string;
  capacity: CapacityReading;
  running: number;
  byState: Record<string, number>;
  providerLimits: { key: string; limit: number; until: number }[];
  nextLaunchAt?: number;
  why: string;
}

/** A snapshot of capacity, task counts, provider limits and the next wake-up. */
export function supervisorStatus(core: SupervisorCore): SupervisorStatus {
  const { config, owner, clock } = core.deps;
  const running = [...core.tasks.values()].filter((task) => task.state === "running").length;
  const capacity = capacityNow(core, running);
  const byState: Record<string, number> = {};
  for (const task of core.tasks.values()) byState[task.state] = (byState[task.state] ?? 0) + 1;
  const limits = core.providerLimits.list(clock.now());
  const why =
    capacity.limitedBy === "fleet"
      ? (capacity.detail ?? "fleet")
      : capacity.limitedBy === "memory"
        ? `memory: ${capacity.freeMemoryMb} MB free, ${config.capacity.ramReserveMb} MB reserved, ${capacity.ramPerWorkerMb} MB per worker`
        : capacity.limitedBy === "minimum"
          ? "memory is below the reserve: running one at a time"
          : `maxWorkers ${config.capacity.maxWorkers}`;
  return {
    owner,
    capacity,
    running,
    byState,
    providerLimits: limits,
    ...(Number.isFinite(core.timerAt) ? { nextLaunchAt: core.timerAt } : {}),
    why,
  };
}
