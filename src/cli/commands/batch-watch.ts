import type { DroverEvent } from "../../core/events.ts";
import { isFinal, type TaskState } from "../../core/task-states.ts";
import { type BatchSource, readAllEvents } from "./batch-source.ts";

/** The task states of one batch, kept from its `task.state` events, to tell when it has ended. */
export class BatchProgress {
  readonly #states = new Map<string, TaskState>();

  constructor(tasks: readonly { id: string; status: TaskState }[]) {
    for (const task of tasks) this.#states.set(task.id, task.status);
  }

  handle(event: DroverEvent): void {
    if (event.type === "task.state" && this.#states.has(event.taskId))
      this.#states.set(event.taskId, event.to);
  }

  /** Every task is in a final state (a retry puts one back, so this can turn false again). */
  get ended(): boolean {
    return [...this.#states.values()].every((state) => isFinal(state));
  }

  /** The tasks not yet in a final state, with their states. */
  unfinished(): { id: string; state: TaskState }[] {
    return [...this.#states.entries()]
      .filter(([, state]) => !isFinal(state))
      .map(([id, state]) => ({ id, state }));
  }
}

/**
 * Reads a batch's stored events, then follows new ones until every task of the batch is in a
 * final state (or `signal` aborts). The states come from the events themselves, so no change
 * between reading and following is missed. Returns whether the batch ended.
 */
export async function watchBatch(
  source: BatchSource,
  options: {
    batchId: string;
    signal: AbortSignal;
    /** The stored events, once, before any live one. */
    onHistory?: (events: DroverEvent[]) => void;
    onEvent?: (event: DroverEvent) => void;
  },
): Promise<{ ended: boolean; progress: BatchProgress }> {
  const { batchId } = options;
  const results = await source.results(batchId);
  // The history replays over the states read first: its last `task.state` per task is where it is now.
  const progress = new BatchProgress(results.tasks);
  const history = await readAllEvents(source, batchId);
  for (const event of history) progress.handle(event);
  options.onHistory?.(history);
  let lastSeq = history.at(-1)?.seq ?? 0;
  if (progress.ended || options.signal.aborted) return { ended: progress.ended, progress };

  const deliver = (event: DroverEvent) => {
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    progress.handle(event);
    options.onEvent?.(event);
  };
  while (!progress.ended && !options.signal.aborted) {
    await followUntilEnded(
      source,
      batchId,
      options.signal,
      () => lastSeq,
      deliver,
      () => progress.ended,
    );
    // What was recorded with the batch's last change (its `batch.finished`), or by another process.
    for (const event of await readAllEvents(source, batchId, lastSeq)) deliver(event);
  }
  return { ended: progress.ended, progress };
}

/** Follows live events until `ended()` or `signal` aborts, or the daemon says every task is final. */
async function followUntilEnded(
  source: BatchSource,
  batchId: string,
  signal: AbortSignal,
  lastSeq: () => number,
  deliver: (event: DroverEvent) => void,
  ended: () => boolean,
): Promise<void> {
  const stop = new AbortController();
  const following = AbortSignal.any([signal, stop.signal]);
  // The daemon streams what it records itself; a `drover run` in another process writes to the
  // same database unseen by that stream, so check now and then whether the batch ended anyway.
  const recheck = source.daemon
    ? setInterval(() => {
        void source
          .results(batchId)
          .then((now) => {
            if (now.tasks.every((task) => isFinal(task.status))) stop.abort();
          })
          .catch(() => undefined);
      }, endedRecheckMs)
    : undefined;
  try {
    await source.follow({
      batchId,
      after: lastSeq(),
      signal: following,
      onEvent: (event) => {
        if (following.aborted) return;
        deliver(event);
        if (ended()) stop.abort();
      },
    });
  } finally {
    clearInterval(recheck);
  }
}

/** How often, while following through the daemon, to check whether the batch ended unseen. */
const endedRecheckMs = 2_000;
