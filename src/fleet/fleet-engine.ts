import type { InputIssue } from "../core/errors.ts";
import type { AttemptRequest, AttemptResult, Engine } from "../engines/contract.ts";
import type { FleetDispatcher } from "./fleet-dispatcher.ts";
import { parseHandle } from "./fleet-protocol.ts";

/**
 * An engine as the daemon sees it when attempts run on `drover worker` hosts: every call goes
 * through the fleet's dispatcher, under this engine's name (the worker runs its own engine of
 * that name). Models and agents are checked where they run: on the workers.
 */
export class FleetEngine implements Engine {
  readonly name: string;
  /** Memory is the workers' business: they report slots, which `capacity()` sums. */
  readonly ramPerAttemptMb = 0;
  readonly #dispatcher: FleetDispatcher;

  constructor(name: string, dispatcher: FleetDispatcher) {
    this.name = name;
    this.#dispatcher = dispatcher;
  }

  async start(): Promise<void> {}

  async checkModels(): Promise<InputIssue[]> {
    return [];
  }

  async checkAgents(): Promise<InputIssue[]> {
    return [];
  }

  async prepare(): Promise<void> {}

  runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    return this.#dispatcher.run(this.name, request);
  }

  /** A session lives on one worker: known while that worker is up. */
  async hasSession(_sessionId: string, server?: string): Promise<boolean> {
    const owner = parseHandle(server);
    return (
      owner !== undefined &&
      this.#dispatcher.hosts().some((h) => h.workerId === owner.workerId && h.state === "up")
    );
  }

  holdsAttempt(attempt: { batchId: string; attemptId: string; server?: string }): Promise<boolean> {
    return this.#dispatcher.holdsAttempt(attempt.attemptId, attempt.batchId, attempt.server);
  }

  capacity(): { slots: number; why: string } {
    return this.#dispatcher.capacity();
  }

  onCapacityChange(listener: () => void): void {
    this.#dispatcher.onCapacityChange(listener);
  }

  async stop(): Promise<void> {
    this.#dispatcher.stop();
  }
}
