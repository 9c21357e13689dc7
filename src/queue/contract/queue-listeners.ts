import type { FinishReason, TaskFinishedListener, TaskKey, TaskReadyListener } from "./queue-contract.ts";

/** Ready/finished listener sets shared by the backends; a throwing listener never breaks the queue. */
export class QueueListeners {
  private readonly ready = new Set<TaskReadyListener>();
  private readonly finished = new Set<TaskFinishedListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  addReady(listener: TaskReadyListener): () => void {
    this.ready.add(listener);
    return () => this.ready.delete(listener);
  }

  addFinished(listener: TaskFinishedListener): () => void {
    this.finished.add(listener);
    return () => this.finished.delete(listener);
  }

  emitReady(key: TaskKey): void {
    const only = { batchId: key.batchId, taskId: key.taskId };
    for (const listener of this.ready) this.call(() => listener(only));
  }

  emitFinished(key: TaskKey, reason: FinishReason): void {
    const only = { batchId: key.batchId, taskId: key.taskId };
    for (const listener of this.finished) this.call(() => listener(only, reason));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
