import type { Hono } from "hono";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import type { InboxService } from "../inbox/inbox-service.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { booleanParam, limitParam, readQuery } from "./request-input.ts";

const ListQuery = z.object({
  state: z.enum(["open", "all"]).default("open"),
  all: booleanParam.default(false),
  limit: limitParam(1000, 100),
});
const AnswerBody = z.strictObject({ by: z.string().min(1).max(100).optional() });

/** The attention inbox on the API: list, answer (approve/deny/dismiss), and retry/cancel its task. */
export function addInboxRoutes(app: Hono, deps: { inbox: InboxService; supervisor: Supervisor }): void {
  const { inbox, supervisor } = deps;
  app.get("/v1/inbox", (c) => {
    const query = readQuery(c, ListQuery);
    return c.json({ items: inbox.list({ all: query.all || query.state === "all", limit: query.limit }) });
  });
  app.get("/v1/inbox/:id", (c) => c.json(inbox.get(c.req.param("id"))));
  for (const action of ["approve", "deny", "dismiss"] as const) {
    app.post(`/v1/inbox/:id/${action}`, async (c) => {
      const body = await readAnswerBody(c.req);
      return c.json(inbox.answer(c.req.param("id"), action, body.by ?? "api"));
    });
  }
  for (const action of ["retry", "cancel"] as const) {
    app.post(`/v1/inbox/:id/${action}`, async (c) => {
      const body = await readAnswerBody(c.req);
      const item = inbox.get(c.req.param("id"));
      if (item.state !== "open")
        throw new DroverError(
          "conflict",
          `inbox item ${item.id} was already answered (${item.state}): nothing changed`,
        );
      if (!item.batchId || !item.taskId)
        throw new DroverError("bad_input", `inbox item ${item.id} names no task to ${action}`);
      const key = { batchId: item.batchId, taskId: item.taskId };
      if (action === "retry") supervisor.retryTask(key);
      else supervisor.cancelTask(key, `cancelled from the inbox (${item.id})`);
      return c.json(inbox.resolve(item.id, "resolved", body.by ?? "api") ?? inbox.get(item.id));
    });
  }
}

/** An optional `{by}`; an empty body is fine. */
async function readAnswerBody(request: { text(): Promise<string> }): Promise<z.infer<typeof AnswerBody>> {
  const text = await request.text();
  if (!text.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DroverError("bad_input", "request body is not JSON");
  }
  const parsed = AnswerBody.safeParse(raw);
  if (!parsed.success)
    throw new DroverError("bad_input", `invalid request body: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
