import { MatrixClient } from "./chat/matrix/matrix-client.ts";
import type { DroverConfig } from "./config/schema.ts";
import type { NotifyChannels } from "./notify/notifier.ts";

/** How notifications reach each kind of target: the chat accounts the config and environment give. */
export function notifyChannels(config: DroverConfig, env: NodeJS.ProcessEnv): NotifyChannels {
  const slackToken = env[config.chat.slack.tokenEnv];
  const matrixToken = env[config.chat.matrix.accessTokenEnv];
  const homeserver = config.chat.matrix.homeserverUrl;
  const matrix = homeserver && matrixToken ? new MatrixClient(homeserver, matrixToken) : undefined;
  return {
    ...(slackToken ? { slack: { token: slackToken, apiUrl: config.chat.slack.apiUrl } } : {}),
    ...(matrix ? { matrix: (room: string, text: string) => matrix.notice(room, text) } : {}),
    webhookSecret: (name) => env[name] || undefined,
    ...(config.chat.dashboardUrl ? { dashboardUrl: config.chat.dashboardUrl } : {}),
  };
}
