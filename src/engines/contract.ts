import type { InputIssue } from "../core/errors.ts";
import type {
  Liveness,
  TokenCounts,
  WatchdogEvidence,
  WatchdogRemedy,
  WatchdogState,
} from "../core/liveness.ts";
import type { AttemptFailure } from "../core/outcome.ts";
import type { ClaudeOptions, CodexOptions, SandboxProfile } from "../core/task-spec.ts";
import type { AgentHome } from "../security/git-credentials.ts";

/**
 * Gives an agent the credentials of its task's repository (a GitHub token for its git and `gh`),
 * in the home of the server it runs on. Never throws: a problem is returned, to be reported.
 */
export interface RepoCredentials {
  provide(
    task: { batchId: string; taskId: string; repo: string },
    home: AgentHome,
  ): Promise<string | undefined>;
}

/** Why the supervisor stops an attempt early; passed as the AbortSignal's reason. */
export interface AttemptStop {
  /** `shutdown`: the supervisor is stopping and hands the task back (it resumes on restart). */
  kind: "timeout" | "cancel" | "shutdown";
  message: string;
}

/** A live report from a running attempt. */
export interface AttemptProgress {
  liveness: Liveness;
  tool?: string;
  /** For `rate_limited`: when the engine will try again (epoch ms). */
  until?: number;
  detail?: string;
  tokens: TokenCounts;
  /** When this liveness began (epoch ms). */
  since?: number;
  /** Why the attempt is where it is (last byte at, the tool's output and CPU, …). */
  evidence?: WatchdogEvidence;
}

/** What the watchdog saw and did about an attempt that was not progressing. */
export interface WatchdogAction {
  state: WatchdogState;
  remedy: WatchdogRemedy;
  message: string;
  evidence: WatchdogEvidence;
}

/** A permission request from the agent, put to a person. */
export interface PermissionAsk {
  requestId: string;
  /** OpenCode's permission name (`external_directory`, `bash`, …). */
  permission: string;
  patterns: string[];
  tool?: string;
}

export type PermissionAnswer = { reply: "once" | "reject"; message?: string };

export interface AttemptRequest {
  /** The batch of the task, for engines that label work elsewhere (the fleet). */
  batchId?: string;
  taskId: string;
  attemptId: string;
  prompt: string;
  title: string;
  dir: string;
  model: string;
  agent?: string;
  files: readonly string[];
  /** The task's sandbox profile (default: the engine's, from the config). */
  sandbox?: SandboxProfile;
  /** The task's options for the claude and codex engines. */
  claude?: ClaudeOptions;
  codex?: CodexOptions;
  /**
   * The repository of a task with a worktree: tasks of different repositories (and of different
   * profiles) never share an OpenCode server.
   */
  repo?: string;
  /** Continue this session instead of creating one. */
  sessionId?: string;
  /**
   * The resume handle of `sessionId`, opaque to the supervisor: where the session lives (a server
   * of the pool; for the fleet, `worker|server`). Passed back exactly as `onSession` gave it.
   */
  server?: string;
  /**
   * `prompt` sends the prompt (default); `follow` sends nothing and follows a session that is
   * already working (re-adoption after a restart), collecting its result.
   */
  mode?: "prompt" | "follow";
  /** Epoch ms the attempt started; in `follow` mode, messages before it are not this attempt's. */
  startedAt?: number;
  /** The task's own prompt, before drover added its context and report instructions (a `shell` task's command). */
  taskPrompt?: string;
  /** Appended to the agent's system prompt for this prompt. */
  system?: string;
  /** Ask the agent for a structured report with this JSON Schema (OpenCode `format: json_schema`). */
  reportSchema?: Record<string, unknown>;
  /** A rate limit whose retry is further away than this ends the attempt as `rate_limited` (to park it). */
  parkRateLimitAfterMs?: number;
  /**
   * The task's remaining retry budget: once this many model requests have failed with a provider
   * error in this attempt (the engine's own retries included), the engine stops retrying and fails.
   */
  maxFailedRequests?: number;
  /** Aborted with an {@link AttemptStop} reason on timeout or cancel. */
  signal: AbortSignal;
  onSession(sessionId: string, server: string): void;
  onProgress(progress: AttemptProgress): void;
  /** The watchdog acted on this attempt (reported before the remedy takes effect). */
  onWatchdog?(action: WatchdogAction): void;
  /**
   * Puts a permission request to a person (config `opencode.onPermission: "ask"`); resolves with
   * their answer. `signal` aborts when the question is withdrawn (answered by the watchdog after
   * `watchdog.permissionTimeout`, or the attempt ended). Without it the engine rejects at once.
   */
  askPermission?(ask: PermissionAsk, signal: AbortSignal): Promise<PermissionAnswer>;
}

/** One tool call as kept in a transcript. */
export interface TranscriptToolCall {
  tool: string;
  /** The call's input, summarized on one line. */
  input: string;
  status: "pending" | "running" | "completed" | "error";
  /** What the tool returned (or its error), cut to a few KB. */
  output?: string;
}

/** One message of an attempt's conversation. */
export interface TranscriptMessage {
  role: "user" | "assistant";
  /** Epoch ms the message was created. */
  at?: number;
  text: string;
  tools: TranscriptToolCall[];
  /** The error the message ended in, if any. */
  error?: string;
}

/** An attempt's conversation, capped in size so it can be stored with the attempt. */
export interface AttemptTranscript {
  messages: TranscriptMessage[];
  /** Messages left out (from the middle) to fit the cap. */
  omittedMessages: number;
  /** Whether any text or tool output was cut. */
  truncated: boolean;
}

/** How an attempt ended, as data. A failure is never thrown. */
export interface AttemptResult {
  status: "succeeded" | "failed" | "timed_out" | "cancelled";
  sessionId?: string;
  failure?: AttemptFailure;
  tokens: TokenCounts;
  cost: number;
  finalText: string;
  /** Paths the agent wrote or edited (absolute). */
  filesChanged: string[];
  /** The structured report, when one was asked for and given. */
  report?: unknown;
  /** For a `rate_limited` failure: when the provider allows the next request. */
  rateLimitedUntil?: number;
  /** Model requests that failed with a provider error during this attempt (the engine's own retries included). */
  failedRequests?: number;
  /** Said to the agent first when the attempt is continued in its session (the watchdog's note on a killed tool). */
  continueNote?: string;
  /** The server that ran the session. */
  server?: string;
  /** The conversation of this attempt (prompt, answers, tool calls), for `drover show`/`transcript`. */
  transcript?: AttemptTranscript;
  /**
   * The attempt goes on elsewhere after a `shutdown` stop (a fleet worker still runs it): the
   * supervisor leaves it open, and its successor follows it (see `holdsAttempt`).
   */
  detached?: boolean;
}

/**
 * What every engine provides. `runAttempt` never rejects: engine faults come back as a
 * failed result with a typed failure.
 */
export interface Engine {
  readonly name: string;
  /** Memory one running attempt costs on this engine (MB, measured), for capacity. */
  readonly ramPerAttemptMb: number;
  start(): Promise<void>;
  /** Problems with the models tasks ask for (unknown model, unreachable provider), found before any run. */
  checkModels(
    models: readonly {
      model: string;
      source: string;
      path: string;
      dir?: string;
      /** The task's repository and sandbox profile: which of the engine's servers may answer. */
      repo?: string;
      sandbox?: SandboxProfile;
    }[],
  ): Promise<InputIssue[]>;
  /** Unknown agents: each must exist in the directory it runs in (that directory's own agents count). */
  checkAgents(
    agents: readonly { agent: string; dir: string; source: string; path: string }[],
  ): Promise<InputIssue[]>;
  /** Warms the engine for these working directories (best effort), so first attempts start fast. */
  prepare(dirs: readonly string[]): Promise<void>;
  /**
   * Why this engine cannot run a task here — its binary is not installed (`field: "engine"`, with
   * how to install it), or the task's sandbox profile cannot be had (`field: "sandbox"`); undefined
   * when it can. Asked before a batch is accepted.
   */
  unavailable?(task: {
    sandbox?: SandboxProfile;
  }): { field: "engine" | "sandbox"; message: string } | undefined;
  /** Engines whose agents run in a home of drover's take repository credentials through this. */
  useRepoCredentials?(credentials: RepoCredentials): void;
  runAttempt(request: AttemptRequest): Promise<AttemptResult>;
  /** Whether a session from an earlier run is still known to the engine (for re-adoption). */
  hasSession(sessionId: string, server?: string): Promise<boolean>;
  /**
   * Engines that run attempts elsewhere (the fleet): whether this attempt still runs there, or its
   * result waits to be collected; a restarted supervisor then follows it instead of closing it.
   */
  holdsAttempt?(attempt: { batchId: string; attemptId: string; server?: string }): Promise<boolean>;
  /**
   * Engines that run attempts elsewhere: how many may run at once, as the hosts running them
   * report it (instead of this machine's free memory), and the sentence that says why.
   */
  capacity?(): { slots: number; why: string };
  /** Called when `capacity()` may have changed (a host joined or left), so launches are reconsidered. */
  onCapacityChange?(listener: () => void): void;
  stop(): Promise<void>;
}
