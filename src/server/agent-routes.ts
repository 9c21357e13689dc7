import type { Hono } from "hono";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import type { Mailbox } from "../mailbox/mailbox.ts";
import { SendMail } from "../mailbox/mailbox.ts";
import type { MemoryService } from "../memory/memory-service.ts";
import type { RunnerService } from "../runners/runner-service.ts";

const RunnerBody = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  model: z.string().optional(),
  agent: z.string().optional(),
  dir: z.string().optional(),
  instructions: z.string().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
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
});

async function body<T>(schema: z.ZodType<T>, request: { json(): Promise<unknown> }): Promise<T> {
  const raw = await request.json().catch(() => {
    throw new DroverError("bad_input", "request body is not JSON");
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new DroverError("bad_input", "invalid request body", {
      issues: parsed.error.issues.map((issue) => ({
        source: "request",
        path: issue.path.join("."),
        message: issue.message,
      })),
    });
  }
  return parsed.data;
}

/** Runners, memory and mailbox over the daemon's API: the same operations as the CLI. */
export function addAgentRoutes(
  app: Hono,
  deps: { runners: RunnerService; memory: MemoryService; mailbox: Mailbox },
): void {
  const { runners, memory, mailbox } = deps;
  app.get("/v1/runners", (c) => c.json({ runners: runners.list() }));
  app.post("/v1/runners", async (c) => {
    const input = await body(RunnerBody, c.req);
    return c.json(runners.create(input), 201);
  });
  app.get("/v1/runners/:name", (c) => {
    const name = c.req.param("name");
    return c.json({ runner: runners.get(name), runs: runners.runs(name) });
  });
  app.patch("/v1/runners/:name", async (c) => {
    const { name: _ignored, ...changes } = await body(RunnerBody.partial(), c.req);
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
    const input = await body(RunBody, c.req);
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

  app.post("/v1/memory", async (c) => c.json(memory.store(await body(MemoryBody, c.req)), 201));
  app.get("/v1/memory", (c) =>
    c.json({ memories: memory.list(c.req.query("namespace"), Number(c.req.query("limit") ?? 50)) }),
  );
  app.get("/v1/memory/recall", (c) => {
    const namespace = c.req.query("namespace");
    const query = c.req.query("q");
    if (!namespace || !query) throw new DroverError("bad_input", "recall needs ?namespace= and ?q=");
    return c.json({
      memories: memory.recall({
        namespace,
        query,
        limit: Number(c.req.query("limit") ?? 5),
        shared: c.req.query("shared") === "true",
      }),
    });
  });
  app.get("/v1/memory/namespaces", (c) => c.json({ namespaces: memory.namespaces() }));
  app.post("/v1/memory/prune", async (c) => {
    const input = await body(
      z.strictObject({ namespace: z.string().optional(), olderThanDays: z.number().positive().optional() }),
      c.req,
    );
    return c.json({ removed: memory.prune(input) });
  });
  app.post("/v1/memory/:id/feedback", async (c) => {
    const input = await body(z.strictObject({ useful: z.boolean() }), c.req);
    memory.feedback(Number(c.req.param("id")), input.useful);
    return c.json({ ok: true });
  });
  app.delete("/v1/memory/:id", (c) => {
    memory.forget(Number(c.req.param("id")));
    return c.json({ ok: true });
  });

  app.post("/v1/mail", async (c) => c.json({ sent: mailbox.send(await body(SendMail, c.req)) }, 201));
  app.get("/v1/mail", (c) =>
    c.json({
      mail: mailbox.check({
        ...(c.req.query("to") ? { to: c.req.query("to") as string } : {}),
        unreadOnly: c.req.query("unread") === "true",
      }),
    }),
  );
  app.get("/v1/mail/:id", (c) => c.json(mailbox.read(c.req.param("id"))));
  app.post("/v1/mail/:id/ack", (c) => {
    mailbox.ack(c.req.param("id"));
    return c.json({ ok: true });
  });
  app.post("/v1/mail/:id/archive", (c) => c.json({ archived: mailbox.archive({ id: c.req.param("id") }) }));
  app.post("/v1/mail/prune", (c) => c.json(mailbox.prune(Number(c.req.query("olderThanDays") ?? 7))));
}
