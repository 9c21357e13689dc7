import { z } from "zod";

// The events of drover's edges, apart from the core task lifecycle (events.ts): audit of tokens and
// API credentials, schedules, the egress proxy's decisions, chat requests.

export const edgeEvents = [
  z.object({
    // A GitHub App installation token of a task (audit): minted for one repository, revoked when
    // the task ended, or a mint or revoke that failed. Never carries the token itself.
    type: z.literal("token"),
    batchId: z.string(),
    taskId: z.string(),
    action: z.enum(["minted", "revoked", "failed"]),
    repository: z.string(),
    permissions: z.record(z.string(), z.string()),
    /** When the token expires (ms since the epoch). */
    expiresAt: z.number().optional(),
    detail: z.string().optional(),
  }),
  z.object({
    // A request to the daemon's API refused for its credentials (audit): who, where and why, never
    // what was presented. At most one per remote address per 10 s; `count` is how many failures
    // it stands for (those since the address's last such event, and this one).
    type: z.literal("api.auth_failed"),
    remote: z.string(),
    method: z.string(),
    path: z.string(),
    reason: z.string(),
    count: z.number().int(),
  }),
  z.object({
    // Storage cannot be written (full disk, lock held too long, database deleted): published live
    // only (seq 0), since it cannot be recorded.
    type: z.literal("storage.failed"),
    message: z.string(),
  }),
  z.object({
    // A schedule's slot submitted its batch (`key` = NAME@slot is the batch's idempotency key).
    type: z.literal("schedule.fired"),
    name: z.string(),
    slot: z.number(),
    key: z.string(),
    batchId: z.string(),
    trigger: z.enum(["schedule", "catch-up", "manual"]),
  }),
  z.object({
    // A slot that did not fire: skipped (overlap), missed (the daemon was down or late), queued
    // behind a running batch (overlap queue; fires when it ends), or failed (`reason` says why).
    type: z.enum(["schedule.skipped", "schedule.missed", "schedule.queued", "schedule.failed"]),
    name: z.string(),
    slot: z.number(),
    key: z.string(),
    reason: z.string(),
  }),
  z.object({
    // A schedule added, paused, resumed or removed.
    type: z.literal("schedule.changed"),
    name: z.string(),
    action: z.enum(["added", "paused", "resumed", "removed"]),
  }),
  z.object({
    // The egress proxy let a connection through, flagged it (tier 4) or denied it (tier 5).
    type: z.literal("network.decision"),
    /** Who asked: the proxy listener's label (a server group, or `servers` for the shared port). */
    label: z.string(),
    batchId: z.string().optional(),
    taskId: z.string().optional(),
    host: z.string(),
    port: z.number().int(),
    tier: z.number().int().min(1).max(5),
    decision: z.enum(["allow", "flag", "deny"]),
    rule: z.string(),
    /** Same label, host and decision since the last such event (repeats are told once a minute). */
    count: z.number().int().min(1).default(1),
  }),
  z.object({
    // A request from chat (Slack, Discord, Matrix): taken, queued behind another, or refused and why.
    type: z.literal("chat.request"),
    platform: z.string(),
    channel: z.string(),
    user: z.string(),
    decision: z.enum(["running", "queued", "refused"]),
    reason: z.string().optional(),
  }),
] as const;
