import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type DroverState, openState } from "../../app.ts";
import { DroverError } from "../../core/errors.ts";
import type { DroverEvent } from "../../core/events.ts";
import { TokenCounts } from "../../core/liveness.ts";
import { AttemptFailure, Outcome } from "../../core/outcome.ts";
import { TaskSpec } from "../../core/task-spec.ts";
import { TaskState } from "../../core/task-states.ts";
import type { StoredTranscript } from "../../store/store.ts";
import { BatchResults, buildBatchResults } from "../../supervisor/batch-results.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { followEvents } from "../render/follow-events.ts";
import { loadFor, type StateFlags } from "./state-helpers.ts";

/** A task as the task views show it (the daemon's `GET …/tasks/:task` shape, or the store's record). */
export const TaskView = z.object({
  batchId: z.string(),
  id: z.string(),
  spec: TaskSpec,
  state: TaskState,
  stateReason: z.string().optional(),
  attemptCount: z.number(),
  sessionId: z.string().optional(),
  outcome: Outcome.optional(),
  createdAt: z.number(),
  finishedAt: z.number().optional(),
  model: z.string(),
});
export type TaskView = z.infer<typeof TaskView>;

export const AttemptView = z.object({
  id: z.string(),
  number: z.number(),
  kind: z.string(),
  engine: z.string(),
  server: z.string().optional(),
  sessionId: z.string().optional(),
  status: z.string(),
  failure: AttemptFailure.optional(),
  tokens: TokenCounts.optional(),
  cost: z.number(),
  finalText: z.string().optional(),
  filesChanged: z.array(z.string()),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
});
export type AttemptView = z.infer<typeof AttemptView>;

export const TaskDetail = z.object({ task: TaskView, attempts: z.array(AttemptView) });
export type TaskDetail = z.infer<typeof TaskDetail>;

export const BatchListing = z.object({
  id: z.string(),
  source: z.string(),
  createdAt: z.number(),
  finishedAt: z.number().optional(),
});
export type BatchListing = z.infer<typeof BatchListing>;

/** Events are checked for their envelope only; their bodies are the daemon's own catalogue. */
const EventEnvelope = z.looseObject({ type: z.string(), seq: z.number(), ts: z.number() });
const EventsResponse = z.object({ events: z.array(EventEnvelope) });

export interface TaskKey {
  batchId: string;
  taskId: string;
}

/**
 * Where `ls`, `show`, `transcript`, `logs`, `wait` and `status` read: the daemon's API when a
 * daemon runs for the state dir, else the state dir's database itself.
 */
export interface BatchSource {
  readonly stateDir: string;
  /** The running daemon, if any. */
  readonly daemon: DaemonClient | undefined;
  listBatches(limit: number): Promise<BatchListing[]>;
  /** The batch's results (the `results.json` shape); `not_found` names a missing batch. */
  results(batchId: string): Promise<BatchResults>;
  /** A task with its attempts; `not_found` names a missing batch or task. */
  task(key: TaskKey): Promise<TaskDetail>;
  /** The stored conversations of a task's attempts, by attempt id (always read from the state dir). */
  transcripts(key: TaskKey): Promise<Map<string, StoredTranscript>>;
  /** Stored events after `after`, oldest first, at most `limit`. */
  events(filter: { batchId?: string; after: number; limit: number }): Promise<DroverEvent[]>;
  /** Delivers every event after `after` as it is recorded, until `signal` aborts. */
  follow(options: {
    batchId?: string;
    after: number;
    signal: AbortSignal;
    onEvent: (event: DroverEvent) => void;
  }): Promise<void>;
  close(): Promise<void>;
}

/** How often the state-dir source looks for new events while following (no daemon to push them). */
const storePollMs = 250;

/**
 * Opens the source for a state dir: its daemon if one runs, else the database. With neither, a
 * `not_found` error that says so (reading never creates a state dir).
 */
export function openBatchSource(flags: StateFlags, context: CliContext): BatchSource {
  const loaded = loadFor(flags, context);
  const daemon = DaemonClient.find(loaded.stateDir);
  const hasState = existsSync(path.join(loaded.stateDir, "drover.db"));
  if (!daemon && !hasState) {
    throw new DroverError(
      "not_found",
      `no drover daemon is running for ${loaded.stateDir} and nothing has run there yet (use --state-dir to point elsewhere)`,
    );
  }
  let state: DroverState | undefined;
  const store = () => {
    state ??= openState({ loaded, bus: context.bus });
    return state.store;
  };
  const close = async () => {
    await state?.close();
  };
  const transcripts = async (key: TaskKey) => (hasState ? store().listAttemptTranscripts(key) : new Map());
  return daemon
    ? daemonSource(daemon, loaded.stateDir, transcripts, close)
    : storeSource(store, loaded.stateDir, transcripts, close);
}

function daemonSource(
  daemon: DaemonClient,
  stateDir: string,
  transcripts: BatchSource["transcripts"],
  close: () => Promise<void>,
): BatchSource {
  const get = async <T>(schema: z.ZodType<T>, route: string): Promise<T> => {
    const parsed = schema.safeParse(await daemon.request<unknown>("GET", route));
    if (!parsed.success) {
      throw new DroverError(
        "internal",
        `unexpected answer from the daemon for ${route}: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  };
  return {
    stateDir,
    daemon,
    listBatches: async (limit) =>
      (await get(z.object({ batches: z.array(BatchListing) }), `/v1/batches?limit=${limit}`)).batches,
    results: (batchId) => get(BatchResults, `/v1/batches/${encodeURIComponent(batchId)}`),
    task: (key) =>
      get(
        TaskDetail,
        `/v1/batches/${encodeURIComponent(key.batchId)}/tasks/${encodeURIComponent(key.taskId)}`,
      ),
    transcripts,
    events: async ({ batchId, after, limit }) => {
      const query = new URLSearchParams({
        after: String(after),
        limit: String(limit),
        ...(batchId ? { batch: batchId } : {}),
      });
      return (await get(EventsResponse, `/v1/events?${query}`)).events as unknown as DroverEvent[];
    },
    follow: ({ batchId, after, signal, onEvent }) =>
      followEvents(daemon, { ...(batchId ? { batchId } : {}), after, signal, onEvent }),
    close,
  };
}

function storeSource(
  store: () => DroverState["store"],
  stateDir: string,
  transcripts: BatchSource["transcripts"],
  close: () => Promise<void>,
): BatchSource {
  const events: BatchSource["events"] = async ({ batchId, after, limit }) =>
    store().listEvents({ ...(batchId ? { batchId } : {}), afterSeq: after, limit });
  return {
    stateDir,
    daemon: undefined,
    listBatches: async (limit) => store().listBatches(limit),
    results: async (batchId) => {
      if (!store().getBatch(batchId)) throw new DroverError("not_found", `no batch ${batchId}`);
      return buildBatchResults(store(), batchId);
    },
    task: async (key) => {
      if (!store().getBatch(key.batchId)) throw new DroverError("not_found", `no batch ${key.batchId}`);
      const task = store().getTask(key);
      if (!task) throw new DroverError("not_found", `no task ${key.batchId}/${key.taskId}`);
      return { task, attempts: store().listAttempts(key.batchId, key.taskId) };
    },
    transcripts,
    events,
    // No daemon pushes events: a `drover run` in another process writes them, so look for new ones.
    follow: async ({ batchId, after, signal, onEvent }) => {
      let last = after;
      while (!signal.aborted) {
        const page = await events({ ...(batchId ? { batchId } : {}), after: last, limit: 1000 });
        for (const event of page) {
          if (signal.aborted) return;
          last = event.seq;
          onEvent(event);
        }
        if (page.length < 1000) await abortableDelay(storePollMs, signal);
      }
    },
    close,
  };
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Every stored event (of one batch, or all) after `after`, read page by page. */
export async function readAllEvents(
  source: BatchSource,
  batchId?: string,
  after = 0,
): Promise<DroverEvent[]> {
  const pageSize = 5000;
  const all: DroverEvent[] = [];
  let last = after;
  for (;;) {
    const page = await source.events({ ...(batchId ? { batchId } : {}), after: last, limit: pageSize });
    all.push(...page);
    const tail = page.at(-1);
    if (!tail || page.length < pageSize) return all;
    last = tail.seq;
  }
}

/** Runs `work` with the batch source, closing it afterwards. */
export async function withSource<T>(
  flags: StateFlags,
  context: CliContext,
  work: (source: BatchSource) => Promise<T>,
): Promise<T> {
  const source = openBatchSource(flags, context);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}
