import type { Message, Event as OpencodeEvent, Part } from "@opencode-ai/sdk/v2";
import {
  addTokens,
  type Liveness,
  type TokenCounts,
  type WatchdogEvidence,
  zeroTokens,
} from "../../core/liveness.ts";
import type { AttemptFailure } from "../../core/outcome.ts";
import type { AttemptProgress, AttemptStop } from "../contract.ts";
import type { ServerSignal } from "./opencode-server.ts";

/** Why a session's turn ended, as seen from its event stream. */
export type SessionEnd =
  | { kind: "idle" }
  | { kind: "error"; error: { name?: string; data?: Record<string, unknown> } }
  | { kind: "lost"; reason: string }
  | { kind: "rate_limited"; until: number; message: string }
  /** The provider kept failing and the task's retry budget ran out during OpenCode's own retries. */
  | { kind: "provider_failed"; message: string; failedRequests: number }
  | { kind: "stopped"; stop: AttemptStop }
  /** The watchdog ended the attempt (to restart it, retry it, or continue it in the session). */
  | { kind: "watchdog"; failure: AttemptFailure; note?: string };

/** A permission request as the tracker passes it on. */
export interface PermissionAskedEvent {
  id: string;
  permission: string;
  patterns: string[];
  tool?: string;
}

/**
 * Follows one session's events: keeps its liveness (starting, thinking, in_tool, …) and
 * running token count, reports changes, and settles `ended` on the first terminal event.
 */
export class SessionTracker {
  readonly ended: Promise<SessionEnd>;
  /** Settles when the session is idle again (after an end or an abort). */
  readonly quiet: Promise<void>;
  lastEventAt: number;
  readonly #now: () => number;
  #since: number;
  readonly #evidence: (() => WatchdogEvidence) | undefined;
  #settle!: (end: SessionEnd) => void;
  #settleQuiet!: () => void;
  #settled = false;
  #liveness: Liveness = "starting";
  #tool: string | undefined;
  #until: number | undefined;
  #detail: string | undefined;
  #tokens: TokenCounts = zeroTokens();
  readonly #countedSteps = new Set<string>();
  readonly #report: (progress: AttemptProgress) => void;
  readonly #onPermission: (ask: PermissionAskedEvent) => void;
  readonly #parkAfterMs: number | undefined;
  readonly #maxFailedRequests: number | undefined;
  #failedRequests = 0;
  /** Messages seen on the stream during this attempt, with their latest parts. */
  readonly #messages = new Map<string, { info: Message; parts: Map<string, Part> }>();

  constructor(options: {
    report: (progress: AttemptProgress) => void;
    onPermission: (ask: PermissionAskedEvent) => void;
    /** The clock (ms); the injected one in drover. */
    now?: () => number;
    /** Why the attempt is where it is, sent with each progress report. */
    evidence?: () => WatchdogEvidence;
    parkRateLimitAfterMs?: number;
    /** Stop OpenCode's own retrying once this many requests have failed (the task's remaining budget). */
    maxFailedRequests?: number;
  }) {
    this.#now = options.now ?? Date.now;
    this.#evidence = options.evidence;
    this.lastEventAt = this.#now();
    this.#since = this.lastEventAt;
    this.#report = options.report;
    this.#onPermission = options.onPermission;
    this.#parkAfterMs = options.parkRateLimitAfterMs;
    this.#maxFailedRequests = options.maxFailedRequests;
    this.ended = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.quiet = new Promise((resolve) => {
      this.#settleQuiet = resolve;
    });
  }

  /** Model requests OpenCode has retried so far in this attempt for a provider error (not rate limits). */
  get failedRequests(): number {
    return this.#failedRequests;
  }

  /** The assistant messages of this attempt, oldest first, as seen on the event stream. */
  transcript(): { info: Message; parts: Part[] }[] {
    return [...this.#messages.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, entry]) => ({ info: entry.info, parts: [...entry.parts.values()] }))
      .filter((entry) => entry.info.role === "assistant");
  }

  get liveness(): Liveness {
    return this.#liveness;
  }

  /** Reports the current liveness again with fresh evidence (the watchdog's periodic view). */
  refresh(): void {
    this.#emit();
  }

  end(end: SessionEnd): void {
    if (end.kind === "idle" || end.kind === "error" || end.kind === "lost") this.#settleQuiet();
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(end);
  }

  handle(event: OpencodeEvent | ServerSignal): void {
    this.lastEventAt = this.#now();
    switch (event.type) {
      case "drover.server-lost":
        this.end({ kind: "lost", reason: event.reason });
        return;
      case "session.idle":
        this.end({ kind: "idle" });
        return;
      case "session.error": {
        const error = event.properties.error as { name?: string; data?: Record<string, unknown> } | undefined;
        this.end(error ? { kind: "error", error } : { kind: "idle" });
        return;
      }
      case "session.status": {
        const status = event.properties.status;
        if (status.type === "retry") {
          const limited = /rate|limit|429|quota|overload|too many/i.test(status.message);
          this.#set(limited ? "rate_limited" : "stalled", undefined, status.next, status.message);
          if (limited && this.#parkAfterMs !== undefined && status.next - this.#now() >= this.#parkAfterMs) {
            this.end({ kind: "rate_limited", until: status.next, message: status.message });
          }
          // Retry number N means N requests have failed: count them against the task's budget.
          if (!limited) this.#failedRequests = Math.max(this.#failedRequests, status.attempt);
          if (
            !limited &&
            this.#maxFailedRequests !== undefined &&
            this.#failedRequests >= this.#maxFailedRequests
          ) {
            this.end({
              kind: "provider_failed",
              message: status.message,
              failedRequests: this.#failedRequests,
            });
          }
        } else if (
          status.type === "busy" &&
          this.#liveness !== "in_tool" &&
          this.#liveness !== "awaiting_permission"
        ) {
          this.#set("thinking");
        }
        return;
      }
      case "permission.asked":
        this.#set("awaiting_permission", undefined, undefined, event.properties.permission);
        this.#onPermission({
          id: event.properties.id,
          permission: event.properties.permission,
          patterns: event.properties.patterns,
          ...(event.properties.tool ? { tool: event.properties.tool.callID } : {}),
        });
        return;
      case "permission.replied":
        this.#set("thinking");
        return;
      case "message.updated": {
        const info = event.properties.info;
        const entry = this.#messages.get(info.id);
        if (entry) entry.info = info;
        else this.#messages.set(info.id, { info, parts: new Map() });
        return;
      }
      case "message.part.updated": {
        const part = event.properties.part;
        const owner = this.#messages.get(part.messageID);
        if (owner) owner.parts.set(part.id, part);
        if (part.type === "tool") {
          // A tool part updated while its permission is asked does not end the wait.
          if (
            this.#liveness === "awaiting_permission" &&
            (part.state.status === "pending" || part.state.status === "running")
          )
            return;
          if (part.state.status === "pending" || part.state.status === "running")
            this.#set("in_tool", part.tool);
          else this.#set("thinking");
        } else if (part.type === "step-finish" && !this.#countedSteps.has(part.id)) {
          this.#countedSteps.add(part.id);
          this.#tokens = addTokens(this.#tokens, {
            input: part.tokens.input,
            output: part.tokens.output,
            reasoning: part.tokens.reasoning,
            cacheRead: part.tokens.cache.read,
            cacheWrite: part.tokens.cache.write,
          });
          this.#emit();
        }
        return;
      }
      default:
        return;
    }
  }

  #set(liveness: Liveness, tool?: string, until?: number, detail?: string): void {
    if (liveness === this.#liveness && tool === this.#tool && until === this.#until) return;
    this.#liveness = liveness;
    this.#tool = tool;
    this.#until = until;
    this.#detail = detail;
    this.#since = this.#now();
    this.#emit();
  }

  #emit(): void {
    this.#report({
      liveness: this.#liveness,
      ...(this.#tool ? { tool: this.#tool } : {}),
      ...(this.#until ? { until: this.#until } : {}),
      ...(this.#detail ? { detail: this.#detail } : {}),
      tokens: this.#tokens,
      since: this.#since,
      ...(this.#evidence ? { evidence: this.#evidence() } : {}),
    });
  }
}
