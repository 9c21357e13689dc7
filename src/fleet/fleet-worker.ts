import type { CapacitySettings } from "../config/supervisor-settings.ts";
import type { Clock } from "../core/clock.ts";
import { DroverError, errorMessage } from "../core/errors.ts";
import type { DroverEventBody } from "../core/events.ts";
import { every } from "../core/every.ts";
import type { AttemptStop } from "../engines/contract.ts";
import type { EngineRegistry } from "../engines/registry.ts";
import type { ClaimedTask, Queue } from "../queue/contract/queue-contract.ts";
import { computeCapacity } from "../supervisor/capacity.ts";
import type { FleetLink } from "./fleet-link.ts";
import { daemonInfoSchema, fleetProtocol, type HostBeat, versionProblem } from "./fleet-protocol.ts";
import { runClaimedAttempt } from "./worker-attempt.ts";

export interface FleetWorkerOptions {
  link: FleetLink;
  /** Stable per host and state dir, so a restarted worker finds its own sessions again. */
  workerId: string;
  host: string;
  engines: EngineRegistry;
  capacity: CapacitySettings;
  freeMemoryMb: () => number;
  leaseTtlMs: number;
  clock: Clock;
  versions: { droverVersion: string; opencodeVersion: string };
  /** Shown on this worker's terminal (`--json` prints them as lines). */
  print(event: DroverEventBody): void;
  /** The daemon now runs other versions: this worker stops claiming and should exit. */
  onRefused(problem: string): void;
  /** How often the worker beats (its key lives three beats). */
  beatMs?: number;
}

/**
 * `drover worker`: claims attempts from Redis (its own queue of continuations first, then the
 * shared one) while its capacity — this host's free RAM and caps — allows, runs them on its own
 * warm engines, and beats its slots to the daemon. Reclaims lapsed leases it sees. Never throws
 * from a loop: problems become warnings, printed here and sent to the daemon.
 */
export class FleetWorker {
  readonly #options: FleetWorkerOptions;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  readonly #startedAt = Date.now();
  #queues: { own: Queue; shared: Queue } | undefined;
  #loops: { cancel(): void }[] = [];
  #pumping = false;
  #pumpAgain = false;
  #stopping = false;

  constructor(options: FleetWorkerOptions) {
    this.#options = options;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Checks versions against the daemon's (refused with both named), joins and starts claiming. */
  async start(): Promise<{ slots: number }> {
    const { link, clock, workerId } = this.#options;
    const problem = await this.#versionProblem();
    if (problem) throw new DroverError("version_mismatch", problem);
    const [own, shared] = await Promise.all([
      link.queue(link.keys.workerQueue(workerId)),
      link.queue(link.keys.sharedQueue),
    ]);
    this.#queues = { own, shared };
    own.onTaskReady(() => this.#pump());
    shared.onTaskReady(() => this.#pump());
    await this.#beat();
    const beatMs = this.#options.beatMs ?? 2_000;
    const warn = (error: unknown) => this.#warn(error);
    this.#loops = [
      every(clock, beatMs, () => void this.#beat().catch(warn), warn),
      // Ready events can be missed across a reconnect; a slow poll makes sure work is seen.
      every(clock, 1_000, () => this.#pump(), warn),
      every(
        clock,
        Math.max(1_000, this.#options.leaseTtlMs),
        () => void Promise.all([own.reclaimExpiredLeases(), shared.reclaimExpiredLeases()]).catch(warn),
        warn,
      ),
    ];
    this.#share({
      type: "fleet.host",
      workerId,
      host: this.#options.host,
      state: "joined",
      slots: this.#slots(),
    });
    this.#pump();
    return { slots: this.#slots() };
  }

  /** Stops claiming, puts running attempts back for other workers, says goodbye and disconnects. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const loop of this.#loops) loop.cancel();
    const stop: AttemptStop = { kind: "shutdown", message: "the worker is stopping" };
    for (const { controller } of this.#running.values()) controller.abort(stop);
    await Promise.all([...this.#running.values()].map((entry) => entry.done));
    const { link, workerId, host } = this.#options;
    try {
      await link.publish({ type: "event", event: { type: "fleet.host", workerId, host, state: "left" } });
      await link.redis.srem(link.keys.hosts, workerId);
      await link.redis.del(link.keys.host(workerId));
    } catch (error) {
      this.#warn(error);
    }
    this.#options.print({ type: "fleet.host", workerId, host, state: "left" });
  }

  #slots(): number {
    return computeCapacity(this.#options.capacity, {
      freeMemoryMb: this.#options.freeMemoryMb(),
      running: this.#running.size,
      engineRamMb: this.#options.engines.default.ramPerAttemptMb,
    }).slots;
  }

  #pump(): void {
    if (this.#stopping || !this.#queues) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#claimWhileFree()
      .catch((error: unknown) => this.#warn(error))
      .finally(() => {
        this.#pumping = false;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.#pump();
        }
      });
  }

  async #claimWhileFree(): Promise<void> {
    const queues = this.#queues;
    if (!queues) return;
    const request = { owner: this.#options.workerId, leaseMs: this.#options.leaseTtlMs };
    while (!this.#stopping && this.#running.size < this.#slots()) {
      const own = await queues.own.claim(request);
      const claimed = own ?? (await queues.shared.claim(request));
      if (!claimed) return;
      this.#launch(claimed, own ? queues.own : queues.shared);
    }
  }

  #launch(claimed: ClaimedTask, queue: Queue): void {
    const id = `${claimed.task.batchId}/${claimed.task.taskId}`;
    const controller = new AbortController();
    const { link, workerId, host, engines, clock, leaseTtlMs } = this.#options;
    const context = {
      link,
      workerId,
      host,
      engines,
      clock,
      leaseTtlMs,
      share: (event: DroverEventBody) => this.#share(event),
      warn: (error: unknown) => this.#warn(error),
    };
    const done = runClaimedAttempt(context, claimed, queue, controller)
      .catch((error: unknown) => this.#warn(error))
      .finally(() => {
        this.#running.delete(id);
        this.#pump();
      });
    this.#running.set(id, { controller, done });
  }

  async #beat(): Promise<void> {
    const { link, workerId, host, versions } = this.#options;
    const beatMs = this.#options.beatMs ?? 2_000;
    const beat: HostBeat = {
      workerId,
      host,
      pid: process.pid,
      slots: this.#slots(),
      running: this.#running.size,
      freeMemoryMb: this.#options.freeMemoryMb(),
      ...versions,
      protocol: fleetProtocol,
      startedAt: this.#startedAt,
      at: Date.now(),
    };
    const text = JSON.stringify(beat);
    await link.redis
      .multi()
      .set(link.keys.host(workerId), text, "PX", beatMs * 3)
      .sadd(link.keys.hosts, workerId)
      .hset(link.keys.lastBeat, workerId, text)
      .exec();
    const problem = await this.#versionProblem();
    if (problem && !this.#stopping) {
      this.#share({ type: "fleet.host", workerId, host, state: "refused", detail: problem });
      this.#options.onRefused(problem);
    }
  }

  async #versionProblem(): Promise<string | undefined> {
    const { link, versions } = this.#options;
    const text = await link.redis.get(link.keys.daemon);
    if (!text) return undefined;
    const daemon = daemonInfoSchema.safeParse(JSON.parse(text));
    if (!daemon.success) return `the daemon's version record is unreadable: ${daemon.error.message}`;
    return versionProblem({ ...versions, protocol: fleetProtocol }, daemon.data);
  }

  /** Printed here and sent to the daemon's store. */
  #share(event: DroverEventBody): void {
    this.#options.print(event);
    void this.#options.link.publish({ type: "event", event }).catch(() => {});
  }

  #warn(error: unknown): void {
    try {
      this.#share({
        type: "warning",
        code: "fleet_worker",
        message: `${this.#options.host}: ${errorMessage(error)}`,
      });
    } catch {
      // Nothing left to report through.
    }
  }
}
