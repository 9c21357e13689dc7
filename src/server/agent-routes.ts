import type { Hono } from "hono";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import type { Mailbox } from "../mailbox/mailbox.ts";
import { SendMail } from "../mailbox/mailbox.ts";
import type { MemoryService } from "../memory/memory-service.ts";
import type { RunnerService } from "../runners/runner-service.ts";
import { booleanParam, limitParam, readBody, readParam, readQuery, wholeNumber } from "./request-input.ts";

const RunnerBody = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  model: z.string().optional(),
  agent: z.string().optional(),
  dir: z.string().optional(),
  instructions: z.string().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  allowSecrets: z.boolean().optional(),
});
const RunBody = z.strictObject({
  prompt: z.string().min(1),
  continue: z.boolean().optional(),
  wait: z.boolean().optional(),
});
const MemoryBody = z.strictObject({
  namespace: z.string(),
  content: z.string(),
  tags: z.array(z.string()).optional(),
  type: z.string().optional(),
  allowSecrets: z.boolean().optional(),
});

const MemoryListQuery = z.object({ namespace: z.string().min(1).optional(), limit: limitParam(1000, 50) });
const RecallQuery = z.object({
  namespace: z.string({ error: "recall needs ?namespace=" }).min(1, "recall needs ?namespace="),
  q: z.string({ error: "recall needs ?q=" }).min(1, "recall needs ?q="),
  limit: limitParam(100, 5),
  shared: booleanParam.default(false),
});
const MailQuery = z.object({ to: z.string().min(1).optional(), unread: booleanParam.default(false) });
const MailPruneQuery = z.object({
  olderThanDays: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "must be a number of days")
    .transform(Number)
    .default(7),
});

/** Runners, memory and mailbox over the daemon's API: the same operations as the CLI. */
export function addAgentRoutes(
  app: Hono,
  deps: { runners: RunnerService; memory: MemoryService; mailbox: Mailbox },
): void {
  const { runners, memory, mailbox } = deps;
  app.get("/v1/runners", (c) => c.json({ runners: runners.list() }));
  app.post("/v1/runners", async (c) => {
    const input = await readBody(RunnerBody, c.req);
    return c.json(runners.create(input), 201);
  });
  app.get("/v1/runners/:name", (c) => {
    const name = c.req.param("name");
    return c.json({ runner: runners.get(name), runs: runners.runs(name) });
  });
  app.patch("/v1/runners/:name", async (c) => {
    const { name: _ignored, ...changes } = await readBody(RunnerBody.partial(), c.req);
    return c.json(runners.edit(c.req.param("name"), changes));
  });
  app.delete("/v1/runners/:name", (c) => {
    runners.destroy(c.req.param("name"));
    return c.json({ ok: true });
  });
  app.get("/v1/runners/:name/agent", (c) => c.text(runners.agentFile(c.req.param("name"))));
  /** Starts a run and answers at once (202); follow it through GET /v1/runners/:name or the event stream. */
  app.post("/v1/runners/:name/runs", async (c) => {
    const name = c.req.param("name");
    const input = await readBody(RunBody, c.req);
    const before = runners.get(name);
    if (before.activeRun && !input.wait) {
      throw new DroverError(
        "conflict",
        `runner "${name}" is busy with run ${before.activeRun}; send wait: true to queue behind it`,
      );
    }
    const run = runners.run(name, input.prompt, {
      ...(input.continue ? { continue: true } : {}),
      ...(input.wait ? { wait: true } : {}),
    });
    run.catch(() => undefined);
    return c.json({ accepted: true, runner: name }, 202);
  });
  app.post("/v1/runners/:name/stop", (c) => c.json({ stopped: runners.stop(c.req.param("name")) }));

  app.post("/v1/memory", async (c) => c.json(memory.store(await readBody(MemoryBody, c.req)), 201));
  app.get("/v1/memory", (c) => {
    const query = readQuery(c, MemoryListQuery);
    return c.json({ memories: memory.list(query.namespace, query.limit) });
  });
  app.get("/v1/memory/recall", (c) => {
    const { namespace, q, limit, shared } = readQuery(c, RecallQuery);
    return c.json({ memories: memory.recall({ namespace, query: q, limit, shared }) });
  });
  app.get("/v1/memory/namespaces", (c) => c.json({ namespaces: memory.namespaces() }));
  app.post("/v1/memory/prune", async (c) => {
    const input = await readBody(
      z.strictObject({ namespace: z.string().optional(), olderThanDays: z.number().positive().optional() }),
      c.req,
    );
    return c.json({ removed: memory.prune(input) });
  });
  app.post("/v1/memory/:id/feedback", async (c) => {
    const input = await readBody(z.strictObject({ useful: z.boolean() }), c.req);
    memory.feedback(readParam(c, "id", wholeNumber), input.useful);
    return c.json({ ok: true });
  });
  app.delete("/v1/memory/:id", (c) => {
    memory.forget(readParam(c, "id", wholeNumber));
    return c.json({ ok: true });
  });

  app.post("/v1/mail", async (c) => c.json({ sent: mailbox.send(await readBody(SendMail, c.req)) }, 201));
  app.get("/v1/mail", (c) => {
    const query = readQuery(c, MailQuery);
    return c.json({
      mail: mailbox.check({ ...(query.to ? { to: query.to } : {}), unreadOnly: query.unread }),
    });
  });
  app.get("/v1/mail/:id", (c) => c.json(mailbox.read(c.req.param("id"))));
  app.post("/v1/mail/:id/ack", (c) => {
    mailbox.ack(c.req.param("id"));
    return c.json({ ok: true });
  });
  app.post("/v1/mail/:id/archive", (c) => c.json({ archived: mailbox.archive({ id: c.req.param("id") }) }));
  app.post("/v1/mail/prune", (c) => c.json(mailbox.prune(readQuery(c, MailPruneQuery).olderThanDays)));
}
