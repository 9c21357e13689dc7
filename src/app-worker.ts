import type { LoadedConfig } from "./config/load.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import type { DroverEventBody } from "./core/events.ts";
import type { FleetWorker } from "./fleet/fleet-worker.ts";
import { registerDroverSecrets } from "./security/known-secrets.ts";
import { ensureOwnerOnlyDir } from "./security/owner-only-dir.ts";
import { readFreeMemoryMb } from "./supervisor/memory-probe.ts";

// `drover worker`'s part of the composition root (app.ts is the daemon's and `drover run`'s).

const loadEngines = () => import("./app-engines.ts");

export interface WorkerApp {
  worker: FleetWorker;
  workerId: string;
  host: string;
  slots: number;
  redis: string;
  close(): Promise<void>;
}

/**
 * `drover worker`'s composition: Redis (checked, else `queue_unreachable`), this host's own warm
 * engines and scripted model, and the worker that claims attempts for them. No store: the daemon
 * keeps tasks; the worker only runs attempts and reports.
 */
export async function createWorkerApp(options: {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  host?: string;
  print(event: DroverEventBody): void;
  onRefused(problem: string): void;
  clock?: Clock;
  freeMemoryMb?: () => number;
}): Promise<WorkerApp> {
  const { loaded } = options;
  const { config } = loaded;
  const [{ connectFleet, defaultHostName, fleetVersions, startLocalEngines, workerIdFor }, { FleetWorker }] =
    await Promise.all([loadEngines(), import("./fleet/fleet-worker.ts")]);
  ensureOwnerOnlyDir(loaded.stateDir);
  const closers: (() => Promise<void> | void)[] = [registerDroverSecrets(options.env, config.opencode)];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
    closers.length = 0;
  };
  const warn = (error: unknown) =>
    options.print({
      type: "warning",
      code: "fleet_worker",
      message: error instanceof Error ? error.message : String(error),
    });
  try {
    const link = await connectFleet(loaded, warn);
    closers.push(() => link.close());
    const host = options.host ?? defaultHostName();
    const workerId = workerIdFor(host, loaded.stateDir);
    const shareServerEvent = (event: DroverEventBody) => {
      const shown = event.type === "engine.server" ? { ...event, server: `${host}/${event.server}` } : event;
      options.print(shown);
      void link.publish({ type: "event", event: shown }).catch(() => {});
    };
    const { engines } = await startLocalEngines({
      loaded,
      env: options.env,
      models: [config.model, ...config.modelTiers.flat()],
      report: shareServerEvent,
      closers,
    });
    const worker = new FleetWorker({
      link,
      workerId,
      host,
      engines,
      capacity: config.capacity,
      freeMemoryMb: options.freeMemoryMb ?? readFreeMemoryMb,
      leaseTtlMs: config.leaseTtl,
      clock: options.clock ?? systemClock,
      versions: fleetVersions,
      print: options.print,
      onRefused: options.onRefused,
    });
    const { slots } = await worker.start();
    closers.push(() => worker.stop());
    return { worker, workerId, host, slots, redis: link.target.display, close };
  } catch (error) {
    await close();
    throw error;
  }
}
