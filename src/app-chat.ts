import path from "node:path";
import type { DroverApp } from "./app.ts";
import { ChatDispatcher } from "./chat/chat-dispatcher.ts";
import { SlackAdapter, slackReplier } from "./chat/slack/slack-adapter.ts";
import { newId } from "./core/ids.ts";
import type { TaskDocument } from "./intake/read-task-file.ts";
import { checkTaskModels } from "./supervisor/dispatch-batch.ts";

// The chat part of the composition root: Slack requests become tasks through the same intake
// checks as the API, one in flight per channel, answered in the request's thread.

export function startSlack(
  app: DroverApp,
  env: NodeJS.ProcessEnv,
  parseTasks: (body: unknown) => TaskDocument,
): { slack: SlackAdapter; close(): void } {
  const { config, root } = app.loaded;
  const settings = config.chat.slack;
  const reply = slackReplier(settings, env[settings.tokenEnv] || undefined);
  const dispatcher = new ChatDispatcher({
    policy: settings,
    submit: async (request, prompt) => {
      const taskId = `slack-${newId("msg").slice(-10).toLowerCase()}`;
      const source = `slack:${request.channel}`;
      const parsed = parseTasks({
        tasks: [
          {
            id: taskId,
            title: request.text.slice(0, 60),
            prompt,
            dir: path.resolve(root, settings.dir ?? "."),
          },
        ],
      });
      await checkTaskModels(app.engine, parsed.specs, source, app.supervisor);
      const { batchId } = app.supervisor.submit({ specs: parsed.specs, source });
      return { batchId, taskId };
    },
    reply,
    bus: app.bus,
    store: app.store,
    ...(config.chat.dashboardUrl ? { dashboardUrl: config.chat.dashboardUrl } : {}),
    report: (message) => app.store.reportEvent({ type: "warning", code: "chat_reply", message }),
  });
  const slack = new SlackAdapter({
    settings,
    secret: env[settings.signingSecretEnv] || undefined,
    dispatcher,
    reply,
    now: () => app.clock.now(),
  });
  return { slack, close: () => dispatcher.close() };
}
