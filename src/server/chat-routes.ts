import type { Context, Hono } from "hono";
import type { DiscordAdapter } from "../chat/discord/discord-adapter.ts";
import type { SlackAdapter, SlackHeaders } from "../chat/slack/slack-adapter.ts";
import { limitBody } from "./http-errors.ts";

/** Slack's Events API and slash command endpoints, checked by Slack's request signature. */
export function addSlackRoutes(app: Hono, slack: SlackAdapter, maxSize: number): void {
  const limit = limitBody(maxSize);
  app.post("/hooks/slack/events", limit, async (c) => {
    const answer = slack.events(await c.req.text(), slackHeaders(c));
    return c.json(answer.body, answer.status);
  });
  app.post("/hooks/slack/commands", limit, async (c) => {
    const answer = slack.command(await c.req.text(), slackHeaders(c));
    return c.json(answer.body, answer.status);
  });
}

function slackHeaders(c: Context): SlackHeaders {
  const timestamp = c.req.header("x-slack-request-timestamp");
  const signature = c.req.header("x-slack-signature");
  const retryNum = c.req.header("x-slack-retry-num");
  return {
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(signature !== undefined ? { signature } : {}),
    ...(retryNum !== undefined ? { retryNum } : {}),
  };
}

/** Discord's interactions endpoint, checked by the Ed25519 signature of each request. */
export function addDiscordRoute(app: Hono, discord: DiscordAdapter, maxSize: number): void {
  const limit = limitBody(maxSize);
  app.post("/hooks/discord", limit, async (c) => {
    const signature = c.req.header("x-signature-ed25519");
    const timestamp = c.req.header("x-signature-timestamp");
    const answer = discord.interaction(await c.req.text(), {
      ...(signature !== undefined ? { signature } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    });
    return c.json(answer.body, answer.status);
  });
}
