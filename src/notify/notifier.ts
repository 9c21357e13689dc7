import { createHmac } from "node:crypto";
import { WebClient } from "@slack/web-api";
import type { Notification, NotifyTarget } from "../config/webhook-settings.ts";
import { errorMessage } from "../core/errors.ts";
import type { DroverEvent, EventBus } from "../core/events.ts";

/** Where notifications go, as the daemon can reach them. */
export interface NotifyChannels {
  slack?: { token: string; apiUrl: string };
  matrix?: (room: string, text: string) => Promise<void>;
  webhookSecret(env: string): string | undefined;
  dashboardUrl?: string;
}

/**
 * Notifications: a batch finished, an inbox item added — to Slack, Discord, Matrix or a signed
 * generic webhook, per event type as `notify` says. Sending never throws: a failure is a warning.
 */
export function startNotifier(options: {
  notify: readonly Notification[];
  bus: EventBus;
  channels: NotifyChannels;
  warn(message: string): void;
}): () => void {
  if (options.notify.length === 0) return () => {};
  const slack = options.channels.slack
    ? new WebClient(options.channels.slack.token, { slackApiUrl: options.channels.slack.apiUrl })
    : undefined;
  return options.bus.subscribe((event) => {
    if (event.type !== "batch.finished" && event.type !== "inbox.added") return;
    const text = describe(event, options.channels.dashboardUrl);
    for (const rule of options.notify) {
      if (!rule.on.includes(event.type)) continue;
      void send(rule.to, event, text).catch((error: unknown) =>
        options.warn(`notification of ${event.type}: ${errorMessage(error)}`),
      );
    }
  });

  async function send(to: NotifyTarget, event: DroverEvent, text: string): Promise<void> {
    const sending: Promise<unknown>[] = [];
    if (to.slack) {
      if (!slack) throw new Error("no Slack bot token to notify with");
      sending.push(slack.chat.postMessage({ channel: to.slack.channel, text }));
    }
    if (to.discord) sending.push(post(to.discord.webhookUrl, { content: text.slice(0, 2000) }));
    if (to.matrix) {
      if (!options.channels.matrix) throw new Error("no Matrix account to notify with");
      sending.push(options.channels.matrix(to.matrix.room, text));
    }
    if (to.webhook) {
      const secret = to.webhook.secretEnv ? options.channels.webhookSecret(to.webhook.secretEnv) : undefined;
      sending.push(post(to.webhook.url, { event, text }, secret));
    }
    await Promise.all(sending);
  }
}

async function post(url: string, body: unknown, secret?: string): Promise<void> {
  const raw = JSON.stringify(body);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret
        ? { "x-drover-signature": `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}` }
        : {}),
    },
    body: raw,
  });
  if (!response.ok) throw new Error(`${new URL(url).host} answered ${response.status}`);
}

function describe(event: DroverEvent, dashboardUrl: string | undefined): string {
  const link = (hash: string) => (dashboardUrl ? ` — ${new URL(hash, dashboardUrl).href}` : "");
  if (event.type === "batch.finished") {
    const counts = Object.entries(event.counts)
      .map(([state, count]) => `${count} ${state}`)
      .join(", ");
    return `drover: batch ${event.batchId} finished in ${Math.round(event.durationMs / 1000)}s: ${counts}${link(`#/batches/${event.batchId}`)}`;
  }
  if (event.type === "inbox.added") return `drover inbox (${event.kind}): ${event.title}${link("#/inbox")}`;
  return event.type;
}
