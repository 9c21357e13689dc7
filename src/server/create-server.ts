import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { DiscordAdapter } from "../chat/discord/discord-adapter.ts";
import type { SlackAdapter } from "../chat/slack/slack-adapter.ts";
import { defaultMaxBodySize } from "../config/schema.ts";
import { BudgetSettings } from "../config/spend-settings.ts";
import { DroverError } from "../core/errors.ts";
import type { DroverEvent, EventBus } from "../core/events.ts";
import type { Engine } from "../engines/contract.ts";
import type { FleetHost } from "../fleet/fleet-hosts.ts";
import type { GithubHookService } from "../hooks/github-hook-service.ts";
import type { TaskDocument } from "../intake/read-task-file.ts";
import type { ScheduleService } from "../schedules/schedule-service.ts";
import { redactSecretsIn } from "../security/redact-value.ts";
import type { Store } from "../store/store.ts";
import { buildBatchResults } from "../supervisor/batch-results.ts";
import { checkTaskModels } from "../supervisor/dispatch-batch.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { addAgentRoutes } from "./agent-routes.ts";
import { AuthFailures, requireToken } from "./api-auth.ts";
import { addDiscordRoute, addSlackRoutes } from "./chat-routes.ts";
import { addDashboardRoutes } from "./dashboard-routes.ts";
import { addGithubHookRoute } from "./github-hook-route.ts";
import { errorResponse, limitBody } from "./http-errors.ts";
import { addInboundHookRoute } from "./inbound-hook-route.ts";
import { addInboxRoutes } from "./inbox-routes.ts";
import { refuseCrossOrigin, refuseForeignHost, secureResponses } from "./request-guard.ts";
import { limitParam, readQuery, readResumePoint, wholeNumber } from "./request-input.ts";
import { addScheduleRoutes } from "./schedule-routes.ts";
import { addSpendRoutes } from "./spend-routes.ts";
import { addTaskTranscriptRoutes } from "./task-transcript-routes.ts";

export interface ServerDeps {
  store: Store;
  supervisor: Supervisor;
  engine: Engine;
  bus: EventBus;
  token: string;
  /** Validates a submitted task document (the task-file shape) into specs. */
  parseTasks: (body: unknown) => TaskDocument;
  /** Replaces the tasks marked `decompose: true` by their subtasks (model calls); without it they are refused. */
  decomposeTasks?: (document: TaskDocument) => Promise<TaskDocument>;
  /** Runners, memory and mailbox routes, when given. */
  agents?: Parameters<typeof addAgentRoutes>[1];
  /** The attention inbox routes, when given. */
  inbox?: Parameters<typeof addInboxRoutes>[1]["inbox"];
  /** Schedules routes (and each schedule's next firing in `GET /v1/status`), when given. */
  schedules?: ScheduleService;
  /** GitHub webhooks (`POST /hooks/github`), authenticated by their signature, not the token. */
  githubHook?: GithubHookService;
  /** Slack's Events API and slash command (`/hooks/slack/…`), authenticated by Slack's signature. */
  slack?: SlackAdapter;
  /** Generic webhooks (`POST /v1/hooks/NAME`), each authenticated by its own secret. */
  inboundHooks?: Parameters<typeof addInboundHookRoute>[1];
  /** Discord's interactions endpoint (`/hooks/discord`), authenticated by Ed25519 signatures. */
  discord?: DiscordAdapter;
  /** The budget caps `GET /v1/spend` reports against (config `budget`). */
  budget?: BudgetSettings;
  /** Largest request body in bytes (config `daemon.maxBodySize`); larger ones get 413. */
  maxBodySize?: number;
  /** With a fleet (`queue.redis`): its Redis and worker hosts, for `GET /v1/status`. */
  fleet?: () => Promise<FleetStatus>;
  /** `GET /metrics`: Prometheus text format (the app's `DroverMetrics.scrape`). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The `Host` values the daemon answers to (`daemonHostNames`); others get 421. Unset: any. */
  ownHosts?: () => readonly string[];
  /** Clock of the failed-auth events' rate limit. */
  now?: () => number;
}

/** What `GET /v1/status` says about the fleet. */
export interface FleetStatus {
  redis: string;
  name: string;
  hosts: FleetHost[];
}

const EventsQuery = z.object({
  batch: z.string().min(1).optional(),
  task: z.string().min(1).optional(),
  after: wholeNumber.default(0),
  limit: limitParam(10_000, 1000),
});
const StreamQuery = z.object({ batch: z.string().min(1).optional() });

/**
 * The daemon's HTTP API. No side effects at import or creation: tests call `app.request()`.
 * Every route needs `Authorization: Bearer <token>`.
 */
export function createServer(deps: ServerDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error));
  // Outermost: no CORS headers, redacted bodies. Then no other host name (DNS rebinding).
  app.use("*", secureResponses);
  // Webhooks come through proxies under other host names, signed instead of token-bearing.
  if (deps.githubHook) addGithubHookRoute(app, deps.githubHook, deps.maxBodySize ?? defaultMaxBodySize);
  if (deps.slack) addSlackRoutes(app, deps.slack, deps.maxBodySize ?? defaultMaxBodySize);
  if (deps.discord) addDiscordRoute(app, deps.discord, deps.maxBodySize ?? defaultMaxBodySize);
  if (deps.inboundHooks) addInboundHookRoute(app, deps.inboundHooks, deps.maxBodySize ?? defaultMaxBodySize);
  app.use("*", refuseForeignHost(deps.ownHosts));
  const failures = new AuthFailures((event) => deps.store.reportEvent(event), deps.now);
  // The web dashboard (`/`, login, assets) before the token check; its login cookie also opens the API.
  const dashboard = addDashboardRoutes(app, {
    token: deps.token,
    store: deps.store,
    onLoginFailed: (c) => failures.record(c, "wrong token at the dashboard login"),
  });
  app.use("*", refuseCrossOrigin(deps.ownHosts));
  app.use("*", requireToken({ token: deps.token, signedIn: dashboard.signedIn, failures }));
  // After the token check, so unauthenticated clients cannot make the daemon read bodies.
  const maxBodySize = deps.maxBodySize ?? defaultMaxBodySize;
  app.use("*", limitBody(maxBodySize));

  app.get("/v1/status", async (c) => {
    // The fleet's hosts first: capacity counts their slots.
    const fleet = deps.fleet ? { fleet: await deps.fleet() } : {};
    const schedules = deps.schedules ? { schedules: deps.schedules.upcoming() } : {};
    return c.json({ ...deps.supervisor.status(), ...fleet, ...schedules });
  });
  if (deps.agents) addAgentRoutes(app, deps.agents);
  if (deps.schedules) addScheduleRoutes(app, deps.schedules);
  if (deps.inbox) addInboxRoutes(app, { inbox: deps.inbox, supervisor: deps.supervisor });
  addSpendRoutes(app, {
    store: deps.store,
    budget: deps.budget ?? BudgetSettings.parse({}),
    now: deps.now ?? Date.now,
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.get("/metrics", async (c) => {
      const scrape = await metrics();
      return c.body(scrape.body, 200, { "content-type": scrape.contentType });
    });
  }

  app.post("/v1/batches", async (c) => {
    const body = await c.req.json().catch(() => {
      throw new DroverError("bad_input", "request body is not JSON");
    });
    // `source` labels the batch; the rest is a task document, the same shape as a task file.
    const { source, ...tasks } = (typeof body === "object" && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const parsed = deps.parseTasks(tasks);
    await checkTaskModels(deps.engine, parsed.specs, "request", deps.supervisor);
    if (parsed.decompose && !deps.decomposeTasks)
      throw new DroverError("bad_input", "decompose: true is not available on this server");
    const document = deps.decomposeTasks ? await deps.decomposeTasks(parsed) : parsed;
    const result = deps.supervisor.submit({
      specs: document.specs,
      source: typeof source === "string" ? source : "api",
      idempotencyKeys: document.idempotencyKeys,
      ...(document.strategy ? { strategy: document.strategy } : {}),
      ...(document.budget !== undefined ? { budget: document.budget } : {}),
    });
    return c.json(result, result.created.length > 0 ? 201 : 200);
  });

  app.get("/v1/batches", (c) =>
    c.json({
      batches: deps.store.listBatches(readQuery(c, z.object({ limit: limitParam(10_000, 50) })).limit),
    }),
  );

  app.get("/v1/batches/:batchId", (c) => {
    const batchId = c.req.param("batchId");
    if (!deps.store.getBatch(batchId)) throw new DroverError("not_found", `no batch ${batchId}`);
    return c.json(buildBatchResults(deps.store, batchId));
  });

  app.post("/v1/batches/:batchId/cancel", (c) => {
    deps.supervisor.cancelBatch(c.req.param("batchId"), "cancelled through the API");
    return c.json({ ok: true });
  });

  app.get("/v1/batches/:batchId/tasks/:taskId", (c) => {
    const key = { batchId: c.req.param("batchId"), taskId: c.req.param("taskId") };
    const task = deps.store.getTask(key);
    if (!task) throw new DroverError("not_found", `no task ${key.batchId}/${key.taskId}`);
    return c.json({ task, attempts: deps.store.listAttempts(key.batchId, key.taskId) });
  });

  addTaskTranscriptRoutes(app, deps.store);

  app.post("/v1/batches/:batchId/tasks/:taskId/cancel", (c) => {
    deps.supervisor.cancelTask(
      { batchId: c.req.param("batchId"), taskId: c.req.param("taskId") },
      "cancelled through the API",
    );
    return c.json({ ok: true });
  });

  app.post("/v1/batches/:batchId/tasks/:taskId/retry", (c) => {
    deps.supervisor.retryTask({ batchId: c.req.param("batchId"), taskId: c.req.param("taskId") });
    return c.json({ ok: true });
  });

  app.post("/v1/batches/:batchId/tasks/:taskId/deliver", (c) => {
    deps.supervisor.retryDelivery({ batchId: c.req.param("batchId"), taskId: c.req.param("taskId") });
    return c.json({ ok: true });
  });

  app.get("/v1/events", (c) => {
    const query = readQuery(c, EventsQuery);
    const events = deps.store.listEvents({
      ...(query.batch ? { batchId: query.batch } : {}),
      ...(query.task ? { taskId: query.task } : {}),
      afterSeq: query.after,
      limit: query.limit,
    });
    return c.json({ events });
  });

  /** SSE: replays stored events after `Last-Event-ID` (or `?after=`), then streams live ones. */
  app.get("/v1/events/stream", (c) => {
    const batchId = readQuery(c, StreamQuery).batch;
    const after = readResumePoint(c);
    const matches = (event: DroverEvent) => !batchId || (event as { batchId?: string }).batchId === batchId;
    return streamSSE(c, async (stream) => {
      const queue: DroverEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = deps.bus.subscribe((event) => {
        if (!matches(event)) return;
        queue.push(event);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      let lastSeq = after;
      const send = async (event: DroverEvent) => {
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        const data = JSON.stringify(redactSecretsIn(event));
        await stream.writeSSE({ id: String(event.seq), event: event.type, data });
      };
      // A first byte at once: clients (EventSource) count the stream open only when one arrives.
      await stream.writeSSE({ event: "ping", data: "{}" });
      // Replay from the store in pages, then drain what arrived live meanwhile.
      for (;;) {
        const page = deps.store.listEvents({
          ...(batchId ? { batchId } : {}),
          afterSeq: lastSeq,
          limit: 1000,
        });
        for (const event of page) await send(event);
        if (page.length < 1000) break;
      }
      while (!stream.aborted) {
        const event = queue.shift();
        if (event) {
          await send(event);
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000).unref();
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: "ping", data: "{}" });
      }
      unsubscribe();
    });
  });

  return app;
}
