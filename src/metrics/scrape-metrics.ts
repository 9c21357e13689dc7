import { Gauge, type Registry } from "prom-client";
import { taskStates } from "../core/task-states.ts";
import type { FleetHost } from "../fleet/fleet-hosts.ts";
import type { SupervisorStatus } from "../supervisor/supervisor-status.ts";

// The series read at scrape time from what already knows them: tasks by state from the store
// (every batch, final states included), slots and the ready queue from the supervisor, the
// fleet's hosts from the dispatcher's latest reading. One snapshot per scrape, so the gauges of
// one scrape agree with each other.

/** Where a scrape reads from; given once the supervisor exists. */
export interface ScrapeSources {
  countTasksByState(): Record<string, number>;
  supervisorStatus(): SupervisorStatus;
  /** With a fleet (`queue.redis`): its worker hosts as last read. */
  fleetHosts?: () => readonly FleetHost[];
}

/** What one scrape saw; a source that failed leaves its part out (and its series empty). */
interface ScrapeSnapshot {
  tasksByState?: Record<string, number>;
  status?: SupervisorStatus;
  hosts?: readonly FleetHost[];
}

const capacityLimits = ["maxWorkers", "memory", "minimum", "fleet"] as const;
const hostStates = ["up", "lost", "refused"] as const;

export interface ScrapeMetrics {
  /** Reads every source once; a failing source is reported through `warn` and skipped. */
  takeSnapshot(sources: ScrapeSources, warn: (code: string, error: unknown) => void): void;
}

/** Registers the scrape-time series on `registry`; fleet series only when `withFleet`. */
export function createScrapeMetrics(registry: Registry, withFleet: boolean): ScrapeMetrics {
  let snapshot: ScrapeSnapshot = {};
  const registers = [registry];
  const fromStatus = (read: (status: SupervisorStatus) => number) =>
    function (this: Gauge) {
      this.reset();
      if (snapshot.status) this.set(read(snapshot.status));
    };

  new Gauge({
    name: "drover_tasks",
    help: "Tasks of every batch in the store, by state.",
    labelNames: ["state"],
    registers,
    collect() {
      this.reset();
      const counts = snapshot.tasksByState;
      if (!counts) return;
      for (const state of taskStates) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: "drover_queue_depth",
    help: "Ready tasks waiting for a slot.",
    registers,
    collect: fromStatus((status) => status.byState.ready ?? 0),
  });
  new Gauge({
    name: "drover_slots",
    help: "Slots: how many attempts may run at once now (capacity).",
    registers,
    collect: fromStatus((status) => status.capacity.slots),
  });
  new Gauge({
    name: "drover_slots_used",
    help: "Slots in use by running attempts.",
    registers,
    collect: fromStatus((status) => status.capacity.used),
  });
  new Gauge({
    name: "drover_slots_free",
    help: "Free slots.",
    registers,
    collect: fromStatus((status) => status.capacity.free),
  });
  new Gauge({
    name: "drover_capacity_limited_by",
    help: "Which limit decides the slots now (1 for that limit: maxWorkers, memory, minimum or fleet).",
    labelNames: ["limit"],
    registers,
    collect() {
      this.reset();
      const limitedBy = snapshot.status?.capacity.limitedBy;
      if (!limitedBy) return;
      for (const limit of capacityLimits) this.set({ limit }, limit === limitedBy ? 1 : 0);
    },
  });
  if (withFleet) {
    new Gauge({
      name: "drover_fleet_hosts",
      help: "Worker hosts of the fleet by state (up, lost, refused).",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        if (!snapshot.hosts) return;
        for (const state of hostStates) this.set({ state }, 0);
        for (const host of snapshot.hosts) this.inc({ state: host.state });
      },
    });
    new Gauge({
      name: "drover_fleet_host_slots",
      help: "Slots each worker host that is up reports.",
      labelNames: ["host", "worker"],
      registers,
      collect() {
        this.reset();
        for (const host of snapshot.hosts ?? [])
          if (host.state === "up") this.set({ host: host.host, worker: host.workerId }, host.slots);
      },
    });
  }

  return {
    takeSnapshot(sources, warn) {
      const read = <T>(code: string, source: () => T): T | undefined => {
        try {
          return source();
        } catch (error) {
          warn(code, error);
          return undefined;
        }
      };
      const tasksByState = read("metrics_tasks", () => sources.countTasksByState());
      const status = read("metrics_supervisor", () => sources.supervisorStatus());
      const hosts = sources.fleetHosts ? read("metrics_fleet", sources.fleetHosts) : undefined;
      snapshot = {
        ...(tasksByState ? { tasksByState } : {}),
        ...(status ? { status } : {}),
        ...(hosts ? { hosts } : {}),
      };
    },
  };
}
