import { z } from "zod";
import type { DiscordSettings } from "../../config/chat-settings.ts";
import type { ChatDispatcher, ChatRequest } from "../chat-dispatcher.ts";
import { validDiscordSignature } from "./discord-signature.ts";

// Discord: the interactions endpoint. A `/drover prompt:…` command is acknowledged at once with a
// deferred reply; what follows (started, queued, the outcome) comes as follow-up messages on the
// interaction's webhook.

const Interaction = z.object({
  type: z.number().int(),
  application_id: z.string().optional(),
  token: z.string().optional(),
  channel_id: z.string().optional(),
  member: z.object({ user: z.object({ id: z.string() }) }).optional(),
  user: z.object({ id: z.string() }).optional(),
  data: z
    .object({
      name: z.string(),
      options: z.array(z.object({ name: z.string(), value: z.unknown() })).optional(),
    })
    .optional(),
});

/** Interaction response types (Discord documents them as numbers). */
const pong = 1;
const channelMessage = 4;
const deferredChannelMessage = 5;
const ephemeral = 64;

export interface DiscordAnswer {
  status: 200 | 400 | 401 | 503;
  body: Record<string, unknown>;
}

/** Posts a follow-up message on the request's interaction. */
export function discordReplier(settings: DiscordSettings) {
  return async (request: ChatRequest, text: string): Promise<void> => {
    const target = request.replyTo;
    if (!target) throw new Error("no interaction to follow up on");
    const url = new URL(`webhooks/${target.applicationId}/${target.token}`, settings.apiUrl);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: text.slice(0, 2000) }),
    });
    if (!response.ok) throw new Error(`Discord answered ${response.status} to a follow-up`);
  };
}

export class DiscordAdapter {
  readonly #settings: DiscordSettings;
  readonly #publicKey: string | undefined;
  readonly #dispatcher: ChatDispatcher;
  readonly #reply: (request: ChatRequest, text: string) => Promise<void>;

  constructor(options: {
    settings: DiscordSettings;
    publicKey: string | undefined;
    dispatcher: ChatDispatcher;
    reply: (request: ChatRequest, text: string) => Promise<void>;
  }) {
    this.#settings = options.settings;
    this.#publicKey = options.publicKey;
    this.#dispatcher = options.dispatcher;
    this.#reply = options.reply;
  }

  /** `POST /hooks/discord`: PING, and the `/drover` command. */
  interaction(rawBody: string, headers: { signature?: string; timestamp?: string }): DiscordAnswer {
    if (!this.#publicKey)
      return {
        status: 503,
        body: { error: `the Discord public key is not set (${this.#settings.publicKeyEnv})` },
      };
    if (!validDiscordSignature(this.#publicKey, rawBody, headers))
      return { status: 401, body: { error: "invalid request signature" } };
    let parsed: z.infer<typeof Interaction>;
    try {
      parsed = Interaction.parse(JSON.parse(rawBody));
    } catch {
      return { status: 400, body: { error: "not an interaction" } };
    }
    if (parsed.type === 1) return { status: 200, body: { type: pong } };
    const user = parsed.member?.user.id ?? parsed.user?.id;
    if (
      parsed.type !== 2 ||
      !parsed.data ||
      !user ||
      !parsed.channel_id ||
      !parsed.token ||
      !parsed.application_id
    )
      return {
        status: 200,
        body: { type: channelMessage, data: { content: "Not taken: not a command.", flags: ephemeral } },
      };
    const prompt = parsed.data.options?.find((option) => option.name === "prompt")?.value;
    const request: ChatRequest = {
      platform: "discord",
      channel: parsed.channel_id,
      user,
      text: typeof prompt === "string" ? prompt : "",
      replyTo: { applicationId: parsed.application_id, token: parsed.token },
    };
    const decision = this.#dispatcher.accept(request);
    if ("refused" in decision)
      return {
        status: 200,
        body: {
          type: channelMessage,
          data: { content: `Not taken: ${decision.refused}.`, flags: ephemeral },
        },
      };
    if (decision.accepted === "queued")
      void this.#reply(request, `Queued: ${decision.ahead} ahead of it in this channel.`).catch(
        () => undefined,
      );
    return { status: 200, body: { type: deferredChannelMessage } };
  }
}
