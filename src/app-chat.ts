import path from "node:path";
import type { DroverApp } from "./app.ts";
import {
  ChatDispatcher,
  type ChatDispatcherDeps,
  type ChatPolicy,
  type ChatRequest,
} from "./chat/chat-dispatcher.ts";
import { DiscordAdapter, discordReplier } from "./chat/discord/discord-adapter.ts";
import { MatrixBot } from "./chat/matrix/matrix-bot.ts";
import { MatrixClient } from "./chat/matrix/matrix-client.ts";
import { SlackAdapter, slackReplier } from "./chat/slack/slack-adapter.ts";
import { newId } from "./core/ids.ts";
import type { TaskDocument } from "./intake/read-task-file.ts";
import { checkTaskModels } from "./supervisor/dispatch-batch.ts";

// The chat part of the composition root: Slack and Discord requests become tasks through the same
// intake checks as the API, one in flight per channel, answered where they were asked.

export interface StartedChat {
  slack: SlackAdapter;
  discord: DiscordAdapter;
  close(): Promise<void>;
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
    extra: { runnerOf?: (channel: string) => string | undefined; mark?: ChatDispatcherDeps["mark"] } = {},
  ) =>
    new ChatDispatcher({
      policy,
      ...(extra.mark ? { mark: extra.mark } : {}),
      submit: async (request, prompt) => {
        const runner = extra.runnerOf?.(request.channel);
        if (runner) return runAsRunner(app, runner, prompt);
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
  const matrix = startMatrix(app, env, (reply, mark, runnerOf) =>
    dispatcherFor({ ...chat.matrix, allowedChannels: Object.keys(chat.matrix.rooms) }, reply, {
      runnerOf,
      mark,
    }),
  );
  return {
    slack,
    discord,
    close: async () => {
      slackDispatcher.close();
      discordDispatcher.close();
      await matrix?.stop();
    },
  };
}

/** A room mapped to a runner: the request runs as that runner; resolves once its batch is submitted. */
function runAsRunner(
  app: DroverApp,
  runner: string,
  prompt: string,
): Promise<{ batchId: string; taskId: string }> {
  return new Promise((resolve, reject) => {
    app.runners
      .run(runner, prompt, { wait: true, onBatch: (batchId) => resolve({ batchId, taskId: runner }) })
      .catch(reject);
  });
}

/** The Matrix bot, when `chat.matrix.homeserverUrl` and its access token are set. */
function startMatrix(
  app: DroverApp,
  env: NodeJS.ProcessEnv,
  dispatcher: (
    reply: MatrixBot["reply"],
    mark: MatrixBot["mark"],
    runnerOf: (room: string) => string | undefined,
  ) => ChatDispatcher,
): { stop(): Promise<void> } | undefined {
  const settings = app.loaded.config.chat.matrix;
  const token = env[settings.accessTokenEnv];
  if (!settings.homeserverUrl || !token) return undefined;
  const bot = new MatrixBot({
    settings,
    client: new MatrixClient(settings.homeserverUrl, token),
    clock: app.clock,
    warn: (message) => app.store.reportEvent({ type: "warning", code: "matrix", message }),
  });
  const chosen = dispatcher(bot.reply, bot.mark, (room) => settings.rooms[room]?.runner);
  bot.start(chosen);
  return {
    stop: async () => {
      await bot.stop();
      chosen.close();
    },
  };
}
