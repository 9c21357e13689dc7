import { z } from "zod";

// Generic webhooks in (`POST /v1/hooks/NAME`: a signed JSON body mapped to a task through a
// template) and notifications out (batch finished, inbox item added) to chat or a signed webhook.

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name");

export const InboundHook = z.strictObject({
  secretEnv: envName.describe("The environment variable holding this hook's HMAC secret."),
  task: z
    .strictObject({
      id: z.string().min(1).default("hook").describe("The task's id; `{{path}}` takes a field of the body."),
      prompt: z
        .string()
        .min(1)
        .describe('The prompt; `{{path.to.field}}` takes a field of the body, e.g. "Fix {{alert.title}}".'),
      title: z.string().min(1).optional(),
      dir: z.string().optional().describe("Where the task runs (default: the project folder)."),
      repo: z.string().optional().describe("Run it in a worktree of this repository."),
      model: z.string().optional(),
    })
    .describe("The task a delivery becomes."),
});
export type InboundHook = z.infer<typeof InboundHook>;

export const NotifyTarget = z.strictObject({
  slack: z
    .strictObject({ channel: z.string().min(1) })
    .optional()
    .describe("Post to this Slack channel (the bot token)."),
  discord: z
    .strictObject({ webhookUrl: z.url() })
    .optional()
    .describe("Post to this Discord channel webhook."),
  matrix: z
    .strictObject({ room: z.string().min(1) })
    .optional()
    .describe("Post to this Matrix room (the bot account)."),
  webhook: z
    .strictObject({ url: z.url(), secretEnv: envName.optional() })
    .optional()
    .describe("POST the event as JSON, signed `X-Drover-Signature: sha256=…` with the secret when given."),
});
export type NotifyTarget = z.infer<typeof NotifyTarget>;

export const Notification = z.strictObject({
  on: z
    .array(z.enum(["batch.finished", "inbox.added"]))
    .min(1)
    .describe("The events that notify."),
  to: NotifyTarget,
});
export type Notification = z.infer<typeof Notification>;
