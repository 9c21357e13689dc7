import { WebClient } from "@slack/web-api";
import { z } from "zod";
import type { SlackSettings } from "../../config/chat-settings.ts";
import type { ChatDispatcher, ChatRequest } from "../chat-dispatcher.ts";
import { slackRequestProblem } from "./slack-signature.ts";

// Slack: the Events API (app mentions) and a slash command, each request signed with the app's
// signing secret; replies go to the request's thread through the Web API (chat.postMessage).

const UrlVerification = z.object({ type: z.literal("url_verification"), challenge: z.string() });
const EventCallback = z.object({
  type: z.literal("event_callback"),
  event: z.object({
    type: z.string(),
    user: z.string().optional(),
    bot_id: z.string().optional(),
    channel: z.string(),
    text: z.string().default(""),
    ts: z.string(),
    thread_ts: z.string().optional(),
  }),
});

export interface SlackAnswer {
  status: 200 | 400 | 401 | 503;
  body: Record<string, unknown>;
}

export interface SlackHeaders {
  timestamp?: string;
  signature?: string;
  retryNum?: string;
}

/** Posts a reply in the request's thread. */
export function slackReplier(settings: SlackSettings, token: string | undefined) {
  const client = token
    ? new WebClient(token, { slackApiUrl: settings.apiUrl, retryConfig: { retries: 1 } })
    : undefined;
  return async (request: ChatRequest, text: string): Promise<void> => {
    if (!client) throw new Error(`no bot token (${settings.tokenEnv}) to reply with`);
    await client.chat.postMessage({
      channel: request.channel,
      text,
      ...(request.thread ? { thread_ts: request.thread } : {}),
    });
  };
}

export class SlackAdapter {
  readonly #settings: SlackSettings;
  readonly #secret: string | undefined;
  readonly #dispatcher: ChatDispatcher;
  readonly #reply: (request: ChatRequest, text: string) => Promise<void>;
  readonly #now: () => number;

  constructor(options: {
    settings: SlackSettings;
    secret: string | undefined;
    dispatcher: ChatDispatcher;
    reply: (request: ChatRequest, text: string) => Promise<void>;
    now: () => number;
  }) {
    this.#settings = options.settings;
    this.#secret = options.secret;
    this.#dispatcher = options.dispatcher;
    this.#reply = options.reply;
    this.#now = options.now;
  }

  /** `POST /hooks/slack/events`: the URL check, and app mentions as requests (Slack's retries ignored). */
  events(rawBody: string, headers: SlackHeaders): SlackAnswer {
    const refused = this.#check(rawBody, headers);
    if (refused) return refused;
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody);
    } catch {
      return { status: 400, body: { error: "the body is not JSON" } };
    }
    const check = UrlVerification.safeParse(payload);
    if (check.success) return { status: 200, body: { challenge: check.data.challenge } };
    // Slack retries a delivery it thinks failed: the first one was taken already.
    if (headers.retryNum) return { status: 200, body: { ignored: "a retry" } };
    const callback = EventCallback.safeParse(payload);
    if (!callback.success) return { status: 200, body: { ignored: "not an event callback" } };
    const { event } = callback.data;
    if (event.type !== "app_mention" || event.bot_id || !event.user)
      return { status: 200, body: { ignored: `event ${event.type}` } };
    const request: ChatRequest = {
      platform: "slack",
      channel: event.channel,
      user: event.user,
      text: event.text.replace(/<@[A-Z0-9]+>/g, "").trim(),
      thread: event.thread_ts ?? event.ts,
    };
    const decision = this.#dispatcher.accept(request);
    if ("refused" in decision) {
      if (this.#dispatcher.refusals === "reply")
        void this.#reply(request, `Not taken: ${decision.refused}.`).catch(() => undefined);
    } else if (decision.accepted === "queued")
      void this.#reply(request, `Queued: ${decision.ahead} ahead of it in this channel.`).catch(
        () => undefined,
      );
    return { status: 200, body: { ok: true } };
  }

  /** `POST /hooks/slack/commands`: `/drover PROMPT`, answered at once (only to the asker), then in the channel. */
  command(rawBody: string, headers: SlackHeaders): SlackAnswer {
    const refused = this.#check(rawBody, headers);
    if (refused) return refused;
    const form = new URLSearchParams(rawBody);
    const request: ChatRequest = {
      platform: "slack",
      channel: form.get("channel_id") ?? "",
      user: form.get("user_id") ?? "",
      text: form.get("text") ?? "",
    };
    const decision = this.#dispatcher.accept(request);
    if ("refused" in decision && this.#dispatcher.refusals === "silent") return { status: 200, body: {} };
    const text =
      "refused" in decision
        ? `Not taken: ${decision.refused}.`
        : decision.accepted === "queued"
          ? `Queued: ${decision.ahead} ahead of it in this channel.`
          : "Taken: the task's progress follows in this channel.";
    return { status: 200, body: { response_type: "ephemeral", text } };
  }

  #check(rawBody: string, headers: SlackHeaders): SlackAnswer | undefined {
    if (!this.#secret)
      return {
        status: 503,
        body: { error: `the Slack signing secret is not set (${this.#settings.signingSecretEnv})` },
      };
    const problem = slackRequestProblem(this.#secret, rawBody, headers, this.#now());
    return problem ? { status: 401, body: { error: problem } } : undefined;
  }
}
