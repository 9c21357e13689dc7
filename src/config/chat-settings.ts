import { z } from "zod";

// Chat that dispatches work: who may ask (deny by default), where tasks run, how long a prompt may be.

const envName = (fallback: string, what: string) =>
  z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name")
    .default(fallback)
    .describe(`The environment variable holding ${what}.`);

/** What every adapter shares: the prompt limit, how refusals are said, where tasks run. */
const requestFields = {
  maxPromptLength: z.number().int().positive().default(4000).describe("Longest prompt taken from chat."),
  refusals: z
    .enum(["reply", "silent"])
    .default("reply")
    .describe("A request that is not taken gets a polite reply saying why, or silence; an event either way."),
  dir: z.string().optional().describe("Where chat tasks run (default: the project folder)."),
};
const allowedChannels = z
  .array(z.string().min(1))
  .default([])
  .describe("Channel ids drover answers in; empty: none.");

export const SlackSettings = z.strictObject({
  signingSecretEnv: envName("DROVER_SLACK_SIGNING_SECRET", "the Slack app's signing secret"),
  tokenEnv: envName("DROVER_SLACK_BOT_TOKEN", "the bot token (xoxb-…) replies are posted with"),
  apiUrl: z.url().default("https://slack.com/api/").describe("Slack Web API base URL."),
  allowedUsers: z.array(z.string().min(1)).default([]).describe("Slack user ids who may ask; empty: nobody."),
  allowedChannels,
  ...requestFields,
});
export type SlackSettings = z.infer<typeof SlackSettings>;

export const DiscordSettings = z.strictObject({
  publicKeyEnv: envName(
    "DROVER_DISCORD_PUBLIC_KEY",
    "the application's public key (hex) that signs interactions",
  ),
  apiUrl: z
    .url()
    .default("https://discord.com/api/v10/")
    .describe("Discord API base URL (follow-up messages)."),
  allowedUsers: z
    .array(z.string().min(1))
    .default([])
    .describe("Discord user ids who may ask; empty: nobody."),
  allowedChannels,
  ...requestFields,
});
export type DiscordSettings = z.infer<typeof DiscordSettings>;

export const MatrixSettings = z.strictObject({
  homeserverUrl: z
    .url()
    .optional()
    .describe("The homeserver's URL; unset, drover does not connect to Matrix."),
  accessTokenEnv: envName("DROVER_MATRIX_ACCESS_TOKEN", "the bot account's access token"),
  prefix: z
    .string()
    .min(1)
    .default("!drover")
    .describe("Messages starting with this (then the prompt) are requests."),
  allowedUsers: z
    .array(z.string().min(1))
    .default([])
    .describe("Matrix user ids who may ask; empty: nobody."),
  rooms: z
    .record(z.string(), z.strictObject({ runner: z.string().optional() }))
    .default({})
    .describe(
      "Room id → { runner }: the rooms drover answers in (none by default), and the runner a room's requests run as.",
    ),
  ...requestFields,
});
export type MatrixSettings = z.infer<typeof MatrixSettings>;

export const ChatSettings = z.strictObject({
  slack: SlackSettings.default(() => SlackSettings.parse({})),
  discord: DiscordSettings.default(() => DiscordSettings.parse({})),
  matrix: MatrixSettings.default(() => MatrixSettings.parse({})),
  dashboardUrl: z
    .url()
    .optional()
    .describe("The dashboard's address as people reach it: replies link to the task there."),
});
export type ChatSettings = z.infer<typeof ChatSettings>;
