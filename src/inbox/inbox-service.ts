import type { Clock } from "../core/clock.ts";
import { DroverError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { InboxItem, InboxKind, InboxState } from "../store/inbox.ts";
import type { Store } from "../store/store.ts";

export interface NewInboxItem {
  kind: InboxKind;
  batchId?: string;
  taskId?: string;
  attemptId?: string;
  title: string;
  detail: string;
  evidence?: Record<string, unknown>;
  /** An open item with the same key is returned instead of a second one. */
  key?: string;
}

export type InboxAction = "approve" | "deny" | "dismiss";

const answeredState: Record<InboxAction, InboxState> = {
  approve: "approved",
  deny: "denied",
  dismiss: "dismissed",
};

/**
 * The attention inbox: what needs a person, newest first. Items are rows in the store (so a
 * `drover inbox approve` from another process counts), every change is an event (`inbox.added`,
 * `inbox.answered`) on the SSE stream. An answer to an item that is gone or answered already is an
 * error that changes nothing.
 */
export class InboxService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #listeners = new Set<(item: InboxItem) => void>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  add(input: NewInboxItem): InboxItem {
    if (input.key) {
      const open = this.#store.inbox.openByKey(input.key);
      if (open) return open;
    }
    const item: InboxItem = {
      id: newId("inb"),
      kind: input.kind,
      state: "open",
      ...(input.batchId ? { batchId: input.batchId } : {}),
      ...(input.taskId ? { taskId: input.taskId } : {}),
      ...(input.attemptId ? { attemptId: input.attemptId } : {}),
      title: input.title,
      detail: input.detail,
      ...(input.evidence ? { evidence: input.evidence } : {}),
      createdAt: this.#clock.now(),
    };
    this.#store.inbox.insert(item, input.key);
    this.#store.reportEvent({
      type: "inbox.added",
      itemId: item.id,
      kind: item.kind,
      ...(item.batchId ? { batchId: item.batchId } : {}),
      ...(item.taskId ? { taskId: item.taskId } : {}),
      title: item.title,
    });
    return item;
  }

  list(options: { all?: boolean; limit?: number } = {}): InboxItem[] {
    return this.#store.inbox.list({ openOnly: !options.all, limit: options.limit ?? 100 });
  }

  get(id: string): InboxItem {
    const item = this.#store.inbox.get(id);
    if (!item) throw new DroverError("not_found", `no inbox item ${id}`);
    return item;
  }

  /** A person's answer. approve/deny are for permission requests; dismiss for anything. */
  answer(id: string, action: InboxAction, by = "cli"): InboxItem {
    const item = this.get(id);
    if (action !== "dismiss" && item.kind !== "permission") {
      throw new DroverError(
        "bad_input",
        `inbox item ${id} is a ${item.kind} item: only permission requests are approved or denied (use dismiss${item.taskId ? ", retry or cancel" : ""})`,
      );
    }
    return this.#close(item, answeredState[action], by);
  }

  /** Closed by drover itself (a permission denied after its timeout, a task that went on). */
  resolve(id: string, state: InboxState, by: string): InboxItem | undefined {
    const item = this.#store.inbox.get(id);
    if (item?.state !== "open") return undefined;
    return this.#close(item, state, by);
  }

  /** Resolves the open items about a task (it was retried, cancelled or succeeded); network items stay. */
  resolveTask(batchId: string, taskId: string, by: string): void {
    for (const item of this.#store.inbox.openForTask(batchId, taskId)) {
      // A permission request is settled by its own answer; a flagged or denied connection stays
      // for a person to look at whatever became of the task.
      if (item.kind !== "permission" && item.kind !== "network") this.resolve(item.id, "resolved", by);
    }
  }

  /** Called with each item answered in this process. */
  onAnswer(listener: (item: InboxItem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the item once it is no longer open: answered here (at once) or by another
   * process (seen by a check every `pollMs` on the injected clock). Aborting `signal` stops waiting.
   */
  waitForAnswer(id: string, signal: AbortSignal, pollMs = 1_000): Promise<InboxItem | undefined> {
    return new Promise((resolve) => {
      let timer: { cancel(): void } | undefined;
      const done = (item: InboxItem | undefined) => {
        off();
        timer?.cancel();
        signal.removeEventListener("abort", onAbort);
        resolve(item);
      };
      const off = this.onAnswer((item) => {
        if (item.id === id) done(item);
      });
      const onAbort = () => done(undefined);
      signal.addEventListener("abort", onAbort, { once: true });
      const check = () => {
        try {
          const item = this.#store.inbox.get(id);
          if (item?.state !== "open") return done(item);
        } catch {
          // The store is closing: the next check (or the abort) ends the wait.
        }
        timer = this.#clock.setTimeout(check, pollMs);
      };
      if (signal.aborted) return done(undefined);
      check();
    });
  }

  #close(item: InboxItem, state: InboxState, by: string): InboxItem {
    const at = this.#clock.now();
    if (!this.#store.inbox.close(item.id, state, at, by)) {
      const now = this.#store.inbox.get(item.id);
      throw new DroverError(
        "conflict",
        `inbox item ${item.id} was already answered (${now?.state ?? "gone"}${now?.answeredBy ? ` by ${now.answeredBy}` : ""}): nothing changed`,
      );
    }
    const closed: InboxItem = { ...item, state, answeredAt: at, answeredBy: by };
    this.#store.reportEvent({
      type: "inbox.answered",
      itemId: item.id,
      kind: item.kind,
      state,
      ...(item.batchId ? { batchId: item.batchId } : {}),
      ...(item.taskId ? { taskId: item.taskId } : {}),
      by,
    });
    for (const listener of this.#listeners) {
      try {
        listener(closed);
      } catch {
        // A listener's trouble is its own.
      }
    }
    return closed;
  }
}
