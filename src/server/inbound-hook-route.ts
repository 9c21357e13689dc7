import type { Hono } from "hono";
import type { InboundHook } from "../config/webhook-settings.ts";
import { handleInboundHook } from "../hooks/inbound-hooks.ts";
import { limitBody } from "./http-errors.ts";

/** `POST /v1/hooks/NAME`: generic webhooks, each checked by its own HMAC secret (not the API token). */
export function addInboundHookRoute(
  app: Hono,
  deps: {
    hooks: Readonly<Record<string, InboundHook>>;
    secretOf(hook: InboundHook): string | undefined;
    submit(task: Record<string, unknown>, source: string): Promise<{ batchId: string; created: boolean }>;
  },
  maxSize: number,
): void {
  app.post("/v1/hooks/:name", limitBody(maxSize), async (c) => {
    const name = c.req.param("name");
    const hook = Object.hasOwn(deps.hooks, name) ? deps.hooks[name] : undefined;
    const signature = c.req.header("x-drover-signature");
    const answer = await handleInboundHook(
      hook,
      {
        name,
        rawBody: await c.req.text(),
        secret: hook ? deps.secretOf(hook) : undefined,
        ...(signature !== undefined ? { signature } : {}),
      },
      deps.submit,
    );
    return c.json(answer.body, answer.status);
  });
}
