import { hostname } from "node:os";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { DroverEventBody } from "../core/events.ts";
import { every } from "../core/every.ts";
import type { AttemptRequest, AttemptResult, AttemptStop } from "../engines/contract.ts";
import { failedAttempt as failed, fleetAttemptOf } from "./fleet-attempt.ts";
import { describeFleetCapacity, type FleetHost, type FleetVersions, readFleetHosts } from "./fleet-hosts.ts";
import type { FleetLink } from "./fleet-link.ts";
import { fleetProtocol, jobKeyOf, type ParsedWorkerMessage, parseHandle } from "./fleet-protocol.ts";

export interface FleetDispatcherOptions {
  link: FleetLink;
  clock: Clock;
  versions: Omit<FleetVersions, "protocol">;
  /** Events for the daemon's store (and its SSE stream): worker events, hosts joining and leaving. */
  report(event: DroverEventBody): void;
  /** How often hosts are re-read and pending attempts checked (lost worker, job gone from Redis). */
  checkIntervalMs?: number;
}

interface Pending {
  request: AttemptRequest;
  engine: string;
  batchId: string;
  /** The worker whose own queue holds a continuation; undefined for the shared queue. */
  workerId?: string;
  queueName: string;
  resolve(result: AttemptResult): void;
}

/**
 * The daemon's side of the fleet: puts each attempt on BullMQ as one job (fresh attempts on the
 * shared queue, continuations on the queue of the worker holding the session), relays what
 * workers report to the supervisor's callbacks, and settles an attempt when its result arrives.
 * A worker that goes silent loses its continuations here (they come back as retryable failures,
 * to run fresh); its fresh attempts are reclaimed by BullMQ when their lease lapses.
 */
export class FleetDispatcher {
  readonly #options: FleetDispatcherOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #capacityListeners: (() => void)[] = [];
  #hosts: FleetHost[] = [];
  #known = new Map<string, FleetHost["state"]>();
  #loop: { cancel(): void } | undefined;
  #checking = false;

  constructor(options: FleetDispatcherOptions) {
    this.#options = options;
  }

  get versions(): FleetVersions {
    return { ...this.#options.versions, protocol: fleetProtocol };
  }

  /** Announces this daemon's versions, starts reading worker messages and watching hosts. */
  async start(): Promise<void> {
    const { link, clock } = this.#options;
    await link.redis.set(
      link.keys.daemon,
      JSON.stringify({ ...this.versions, host: hostname(), pid: process.pid, startedAt: Date.now() }),
    );
    await link.queue(link.keys.sharedQueue);
    await link.follow((message) => this.#onMessage(message));
    await this.#check();
    this.#loop = every(
      clock,
      this.#options.checkIntervalMs ?? 2_000,
      () => void this.#check(),
      (error) => this.#warn(error),
    );
  }

  stop(): void {
    this.#loop?.cancel();
  }

  hosts(): FleetHost[] {
    return this.#hosts;
  }

  /** Reads the hosts from Redis now (for status), reporting what changed since the last read. */
  async refreshHosts(): Promise<FleetHost[]> {
    this.#hosts = await readFleetHosts(this.#options.link, this.versions);
    this.#reportHostChanges();
    return this.#hosts;
  }

  capacity(): { slots: number; why: string } {
    return describeFleetCapacity(this.#hosts);
  }

  onCapacityChange(listener: () => void): void {
    this.#capacityListeners.push(listener);
  }

  /** Whether the attempt still runs on a worker or its result waits in Redis. */
  async holdsAttempt(attemptId: string, batchId: string, handle?: string): Promise<boolean> {
    const { link } = this.#options;
    if (await link.readResult(attemptId)) return true;
    const key = jobKeyOf({ batchId, attemptId });
    if (await (await link.queue(link.keys.sharedQueue)).has(key)) return true;
    const owner = parseHandle(handle);
    return owner ? (await link.queue(link.keys.workerQueue(owner.workerId))).has(key) : false;
  }

  /** Runs (or, in `follow` mode, collects) one attempt on the fleet; never rejects. */
  async run(engine: string, request: AttemptRequest): Promise<AttemptResult> {
    const batchId = request.batchId ?? "batch";
    const owner = parseHandle(request.server);
    if (request.mode !== "follow" && request.sessionId && owner && !this.#isUp(owner.workerId)) {
      return failed("engine_crashed", `the session's worker ${owner.workerId} is gone; starting fresh`);
    }
    const { link } = this.#options;
    const queueName = owner ? link.keys.workerQueue(owner.workerId) : link.keys.sharedQueue;
    return new Promise<AttemptResult>((resolve) => {
      const pending: Pending = {
        request,
        engine,
        batchId,
        queueName,
        ...(owner ? { workerId: owner.workerId } : {}),
        resolve: (result) => {
          if (this.#pending.get(request.attemptId) !== pending) return;
          this.#pending.delete(request.attemptId);
          request.signal.removeEventListener("abort", onAbort);
          resolve(result);
        },
      };
      const onAbort = () => this.#abort(pending, request.signal.reason as AttemptStop | undefined);
      this.#pending.set(request.attemptId, pending);
      request.signal.addEventListener("abort", onAbort, { once: true });
      if (request.signal.aborted) return onAbort();
      const started =
        request.mode === "follow" ? this.#collectKept(pending) : this.#enqueue(pending, owner?.server);
      started.catch((error: unknown) =>
        pending.resolve(failed("engine_unavailable", `fleet: ${errorMessage(error)}`)),
      );
    });
  }

  async #enqueue(pending: Pending, server: string | undefined): Promise<void> {
    const { request } = pending;
    const payload = fleetAttemptOf(pending.engine, pending.batchId, request, server);
    const queue = await this.#options.link.queue(pending.queueName);
    await queue.enqueue({
      ...jobKeyOf({ batchId: pending.batchId, attemptId: request.attemptId }),
      routing: { engine: pending.engine, model: request.model, dir: request.dir },
      payload,
    });
  }

  /** Follow mode: the result may have arrived while no daemon listened. */
  async #collectKept(pending: Pending): Promise<void> {
    const kept = await this.#options.link.readResult(pending.request.attemptId);
    if (kept) pending.resolve(kept.result);
  }

  #abort(pending: Pending, stop: AttemptStop | undefined): void {
    if (stop?.kind === "shutdown") {
      // The worker keeps running it; the next daemon follows it (holdsAttempt).
      pending.resolve({ ...failed("cancelled", stop.message), status: "cancelled", detached: true });
      return;
    }
    const { link } = this.#options;
    const key = jobKeyOf({ batchId: pending.batchId, attemptId: pending.request.attemptId });
    void link
      .queue(pending.queueName)
      .then((queue) => queue.cancel(key))
      .catch((error: unknown) => this.#warn(error));
    const message = stop?.message ?? "cancelled";
    pending.resolve(
      stop?.kind === "timeout"
        ? { ...failed("timeout", message), status: "timed_out" }
        : { ...failed("cancelled", message), status: "cancelled" },
    );
  }

  #onMessage(message: ParsedWorkerMessage): void {
    try {
      if (message.type === "event") {
        this.#options.report(message.event);
        // A worker that joins or leaves changes capacity now, not at the next check.
        if (message.event.type === "fleet.host") void this.refreshHosts().catch((e) => this.#warn(e));
        return;
      }
      const pending = this.#pending.get(message.attemptId);
      if (!pending) return;
      if (message.type === "session") pending.request.onSession(message.sessionId, message.handle);
      else if (message.type === "progress") pending.request.onProgress(message.progress);
      else {
        pending.resolve(message.result);
        // Kept a little longer than it takes to store it, for a daemon killed in between.
        const { link, clock } = this.#options;
        clock.setTimeout(
          () => void link.redis.del(link.keys.result(message.attemptId)).catch(() => {}),
          60_000,
        );
      }
    } catch (error) {
      this.#warn(error);
    }
  }

  /** Re-reads hosts (events for changes) and settles attempts whose worker or job is gone. */
  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const { link } = this.#options;
      await this.refreshHosts();
      await (await link.queue(link.keys.sharedQueue)).reclaimExpiredLeases();
      for (const pending of [...this.#pending.values()]) await this.#checkPending(pending);
    } catch (error) {
      this.#warn(error);
    } finally {
      this.#checking = false;
    }
  }

  async #checkPending(pending: Pending): Promise<void> {
    const { link } = this.#options;
    const { attemptId } = pending.request;
    if (pending.workerId && !this.#isUp(pending.workerId)) {
      const key = jobKeyOf({ batchId: pending.batchId, attemptId });
      await (await link.queue(pending.queueName)).cancel(key);
      pending.resolve(failed("engine_crashed", `worker ${pending.workerId} stopped; its session is lost`));
      return;
    }
    if (await this.holdsAttempt(attemptId, pending.batchId, pending.request.server)) {
      const kept = await link.readResult(attemptId);
      if (kept) pending.resolve(kept.result);
      return;
    }
    if (!this.#pending.has(attemptId)) return;
    pending.resolve(
      failed("engine_crashed", "the attempt's job is gone from Redis (restarted without its data?)"),
    );
  }

  #isUp(workerId: string): boolean {
    return this.#hosts.some((host) => host.workerId === workerId && host.state === "up");
  }

  #reportHostChanges(): void {
    let changed = false;
    const seen = new Set<string>();
    for (const host of this.#hosts) {
      seen.add(host.workerId);
      const before = this.#known.get(host.workerId);
      if (before === host.state) continue;
      changed = true;
      this.#known.set(host.workerId, host.state);
      if (before === undefined && host.state === "lost") continue;
      this.#options.report({
        type: "fleet.host",
        workerId: host.workerId,
        host: host.host,
        state: host.state === "up" ? "joined" : host.state,
        slots: host.slots,
        ...(host.detail ? { detail: host.detail } : {}),
      });
    }
    for (const id of [...this.#known.keys()]) {
      if (seen.has(id)) continue;
      this.#known.delete(id);
      changed = true;
    }
    if (changed) for (const listener of this.#capacityListeners) listener();
  }

  #warn(error: unknown): void {
    try {
      this.#options.report({ type: "warning", code: "fleet", message: errorMessage(error) });
    } catch {
      // Nothing left to report through.
    }
  }
}
