import path from "node:path";
import type { DroverApp } from "./app.ts";
import { ChatDispatcher, type ChatPolicy, type ChatRequest } from "./chat/chat-dispatcher.ts";
import { DiscordAdapter, discordReplier } from "./chat/discord/discord-adapter.ts";
import { SlackAdapter, slackReplier } from "./chat/slack/slack-adapter.ts";
import { newId } from "./core/ids.ts";
import type { TaskDocument } from "./intake/read-task-file.ts";
import { checkTaskModels } from "./supervisor/dispatch-batch.ts";

// The chat part of the composition root: Slack and Discord requests become tasks through the same
// intake checks as the API, one in flight per channel, answered where they were asked.

export interface StartedChat {
  slack: SlackAdapter;
  discord: DiscordAdapter;
  close(): void;
}

export function startChat(
  app: DroverApp,
  env: NodeJS.ProcessEnv,
  parseTasks: (body: unknown) => TaskDocument,
): StartedChat {
  const { chat } = app.loaded.config;
  const dispatcherFor = (
    policy: ChatPolicy & { dir?: string },
    reply: (request: ChatRequest, text: string) => Promise<void>,
  ) =>
    new ChatDispatcher({
      policy,
      submit: async (request, prompt) => {
        const taskId = `${request.platform}-${newId("msg").slice(-10).toLowerCase()}`;
        const source = `${request.platform}:${request.channel}`;
        const dir = path.resolve(app.loaded.root, policy.dir ?? ".");
        const parsed = parseTasks({ tasks: [{ id: taskId, title: request.text.slice(0, 60), prompt, dir }] });
        await checkTaskModels(app.engine, parsed.specs, source, app.supervisor);
        const { batchId } = app.supervisor.submit({ specs: parsed.specs, source });
        return { batchId, taskId };
      },
      reply,
      bus: app.bus,
      store: app.store,
      ...(chat.dashboardUrl ? { dashboardUrl: chat.dashboardUrl } : {}),
      report: (message) => app.store.reportEvent({ type: "warning", code: "chat_reply", message }),
    });
  const slackReply = slackReplier(chat.slack, env[chat.slack.tokenEnv] || undefined);
  const slackDispatcher = dispatcherFor(chat.slack, slackReply);
  const slack = new SlackAdapter({
    settings: chat.slack,
    secret: env[chat.slack.signingSecretEnv] || undefined,
    dispatcher: slackDispatcher,
    reply: slackReply,
    now: () => app.clock.now(),
  });
  const discordReply = discordReplier(chat.discord);
  const discordDispatcher = dispatcherFor(chat.discord, discordReply);
  const discord = new DiscordAdapter({
    settings: chat.discord,
    publicKey: env[chat.discord.publicKeyEnv] || undefined,
    dispatcher: discordDispatcher,
    reply: discordReply,
  });
  return {
    slack,
    discord,
    close: () => {
      slackDispatcher.close();
      discordDispatcher.close();
    },
  };
}
