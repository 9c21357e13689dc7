import type { Hono } from "hono";
import type { GithubHookService } from "../hooks/github-hook-service.ts";
import { limitBody } from "./http-errors.ts";

/** `POST /hooks/github`: GitHub's deliveries, checked by their HMAC signature (401 when wrong). */
export function addGithubHookRoute(app: Hono, hook: GithubHookService, maxSize: number): void {
  app.post("/hooks/github", limitBody(maxSize), async (c) => {
    const answer = await hook.handle({
      rawBody: await c.req.text(),
      ...header("event", c.req.header("x-github-event")),
      ...header("id", c.req.header("x-github-delivery")),
      ...header("signature", c.req.header("x-hub-signature-256")),
    });
    return c.json(answer.body, answer.status);
  });
}

const header = <K extends string>(key: K, value: string | undefined) =>
  (value !== undefined ? { [key]: value } : {}) as Partial<Record<K, string>>;
