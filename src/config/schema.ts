import { z } from "zod";
import { durationSchema, graceSchema } from "../core/duration.ts";
import { SandboxProfile } from "../core/task-spec.ts";
import { ChatSettings } from "./chat-settings.ts";
import { DecomposeSettings } from "./decompose-settings.ts";
import { HookSettings } from "./hook-settings.ts";
import { NetworkSettings } from "./network-settings.ts";
import { RoutingSettings } from "./routing-settings.ts";
import { BudgetSettings, PriceSettings } from "./spend-settings.ts";
import { CapacitySettings, RetryPolicySettings, StaggerSettings, Strategy } from "./supervisor-settings.ts";
import { TokenSettings } from "./token-settings.ts";
import { WatchdogSettings } from "./watchdog-settings.ts";
import { InboundHook, Notification } from "./webhook-settings.ts";
import { RepoSettings, WorkspaceSettings } from "./workspace-settings.ts";

/** Default for `daemon.maxBodySize`: 8 MiB, room for a 10,000-task batch with long prompts. */
export const defaultMaxBodySize = 8 * 1024 * 1024;

/** The model id of drover's built-in scripted model (started on demand). */
export const scriptedModel = "drover/scripted";

const modelId = z
  .string()
  .regex(
    /^[^/\s]+\/\S+$/,
    'must be "provider/model", e.g. "drover/scripted" or "anthropic/claude-sonnet-4-5"',
  );

/**
 * The `opencode` block: drover's own engine settings, plus any OpenCode config key
 * (provider, permission, agent, mcp, …), which is passed through to OpenCode untouched.
 */
export const OpencodeSettings = z.looseObject({
  bin: z
    .string()
    .optional()
    .describe("Path to the opencode binary; default: the one installed with drover (opencode-ai)."),
  attach: z
    .url()
    .optional()
    .describe(
      "URL of a running `opencode serve` to use instead of starting servers; its password comes from DROVER_OPENCODE_PASSWORD or OPENCODE_SERVER_PASSWORD.",
    ),
  servers: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(1)
    .describe("How many `opencode serve` processes drover starts."),
  startTimeout: durationSchema
    .default(30_000)
    .describe("How long a server may take to print its listening line."),
  healthInterval: durationSchema
    .default(10_000)
    .describe("How often each server's /global/health is checked."),
  envPassthrough: z
    .array(z.string())
    .default(["PATH", "LANG", "LC_*", "TZ", "TMPDIR"])
    .describe(
      "Environment variables (a trailing * is a wildcard) the OpenCode servers inherit; all else is dropped. Provider keys are never passed: drover's model gateway holds them.",
    ),
  onPermission: z
    .enum(["ask", "reject", "once"])
    .default("ask")
    .describe(
      "How drover answers a permission request from a headless session: ask a person (an inbox item; denied after watchdog.permissionTimeout), reject it (with a message), or allow once.",
    ),
  sessions: z
    .enum(["keep", "delete"])
    .default("keep")
    .describe("Keep finished sessions (for resume and inspection) or abort-then-delete them."),
});
export type OpencodeSettings = z.infer<typeof OpencodeSettings>;

export const DroverConfig = z.strictObject({
  $schema: z.string().optional().describe("JSON Schema reference for editors."),
  stateDir: z.string().default(".drover").describe("Where drover keeps its database, logs and engine homes."),
  model: modelId.default(scriptedModel).describe('Default model for tasks, "provider/model".'),
  agent: z.string().optional().describe("Default OpenCode agent for tasks (build, plan, or a custom one)."),
  taskTimeout: durationSchema
    .default(1_800_000)
    .describe('Default time limit per attempt (e.g. 90, "30s", "10m").'),
  strategy: Strategy.default("depth-first").describe(
    "How ready tasks are chosen: finish one branch first (depth-first), or one task per branch per round.",
  ),
  capacity: CapacitySettings.default(() => CapacitySettings.parse({})).describe(
    "How many attempts run at once: min(maxWorkers, (free RAM − reserve) / RAM per worker), plus per-dir and per-provider caps.",
  ),
  stagger: StaggerSettings.default(() => StaggerSettings.parse({})).describe("Spacing between launches."),
  retry: RetryPolicySettings.default(() => RetryPolicySettings.parse({})).describe("The retry policy."),
  watchdog: WatchdogSettings.default(() => WatchdogSettings.parse({})).describe(
    "Budgets per liveness state; an attempt past one is acted on (restart, retry, continue, kill a hung tool, deny, flag).",
  ),
  outcome: z
    .enum(["structured", "text"])
    .default("structured")
    .describe(
      "structured: every attempt ends with the agent's report (OpenCode structured output); text: the final text is the outcome.",
    ),
  modelTiers: z
    .array(z.array(modelId).min(1))
    .default([])
    .describe(
      'Model tiers, cheapest first, e.g. [["p/small"], ["p/large"]]; a "capability limit" block escalates to the next tier.',
    ),
  routing: RoutingSettings.default(() => RoutingSettings.parse({})).describe(
    "Model tiers with fallbacks, and Claude subscription (OAuth) aware routing.",
  ),
  chat: ChatSettings.default(() => ChatSettings.parse({})).describe(
    "Chat that dispatches work (Slack): who may ask, where tasks run, the dashboard link in replies.",
  ),
  hooks: HookSettings.default(() => HookSettings.parse({})).describe(
    "Webhooks that dispatch work: `hooks.github` (POST /hooks/github).",
  ),
  webhooks: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, `_` and `-` only"), InboundHook)
    .default({})
    .describe("Generic webhooks: POST /v1/hooks/NAME with a signed JSON body becomes the hook's task."),
  notify: z
    .array(Notification)
    .default([])
    .describe(
      "Notifications of finished batches and new inbox items, to Slack, Discord, Matrix or a webhook.",
    ),
  prices: PriceSettings.default({}),
  budget: BudgetSettings.default(() => BudgetSettings.parse({})).describe(
    "Spend caps in USD per task, batch, runner and UTC day; each attempt's estimated cost is reserved before it launches.",
  ),
  decompose: DecomposeSettings.default(() => DecomposeSettings.parse({})).describe(
    "Splitting a brief into subtasks with dependencies (`drover decompose`, `decompose: true` on a task).",
  ),
  parkRateLimitAfter: durationSchema
    .default(5_000)
    .describe(
      "A rate limit whose retry is further away than this parks the task (freeing its slot) instead of waiting in the session.",
    ),
  rateLimitCooldown: durationSchema
    .default(60_000)
    .describe("How long a provider's lowered concurrency lasts after a rate limit."),
  leaseTtl: durationSchema
    .default(30_000)
    .describe("Lease on a running task, renewed by heartbeats; an expired lease marks a crashed supervisor."),
  queue: z
    .strictObject({
      redis: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Redis URL (redis://[user:pass@]host:port[/db], rediss:// for TLS). Set, the daemon puts attempts on BullMQ and `drover worker` hosts run them; unset, everything runs in this process.",
        ),
      name: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, `_`, `.` and `-` only")
        .default("drover")
        .describe("This fleet's name in Redis, so several fleets can share one Redis."),
    })
    .default({ name: "drover" })
    .describe("Where ready work waits: in this process (default) or on Redis for a fleet of workers."),
  daemon: z
    .strictObject({
      host: z.string().default("127.0.0.1").describe("Address the API listens on (loopback by default)."),
      port: z.number().int().min(0).max(65535).default(7420).describe("API port (0: any free port)."),
      shutdownGrace: graceSchema
        .default(10_000)
        .describe(
          "On SIGTERM, how long running attempts may finish before they are handed back (0: hand back at once).",
        ),
      maxBodySize: z
        .number()
        .int()
        .min(1024)
        .default(defaultMaxBodySize)
        .describe("Largest API request body in bytes; larger ones are refused with 413."),
    })
    .default({ host: "127.0.0.1", port: 7420, shutdownGrace: 10_000, maxBodySize: defaultMaxBodySize })
    .describe("The daemon's HTTP API."),
  workspace: WorkspaceSettings.default(() => WorkspaceSettings.parse({})).describe(
    "Git worktrees of tasks that name a `repo`: where they live, how long they are kept.",
  ),
  repos: z
    .record(z.string(), RepoSettings)
    .default({})
    .describe(
      "Per repository (key: its path, relative to the project folder): files to copy in, setup command, remote, GitHub, merge target and gate.",
    ),
  tokens: TokenSettings.default({}).describe(
    "GitHub tokens for tasks: a GitHub App's short-lived installation token per task and repository (`github`), or your own (`mode: delegated`).",
  ),
  sandbox: SandboxProfile.default("home").describe(
    "What the agents may reach (a task or runner may choose its own): none (your HOME and environment, provider keys excepted), home (each server its own HOME/XDG and an environment allowlist) or strict (bubblewrap: read-only system, only the project folder and worktrees writable, no real HOME, own PID and network namespaces whose only way out is the egress proxy; refused if bwrap cannot be had).",
  ),
  network: NetworkSettings.default(() => NetworkSettings.parse({})).describe(
    "The egress proxy every agent's traffic goes through: network tiers (1 code hosts … 5 exfiltration, denied) and what unknown hosts get.",
  ),
  logLevel: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info")
    .describe(
      "Lowest level of the daemon's and worker's JSON log lines (debug adds attempts and launches, trace progress).",
    ),
  opencode: OpencodeSettings.default(() => OpencodeSettings.parse({})).describe(
    "OpenCode engine settings; any other key is OpenCode config passed through.",
  ),
});
export type DroverConfig = z.infer<typeof DroverConfig>;
export type DroverConfigInput = z.input<typeof DroverConfig>;

/** Keys of the `opencode` block that are drover's own and never reach OpenCode. */
export const droverOpencodeKeys = [
  "bin",
  "attach",
  "servers",
  "startTimeout",
  "healthInterval",
  "envPassthrough",
  "onPermission",
  "sessions",
] as const;
