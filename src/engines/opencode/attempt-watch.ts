import type { OpencodeSettings } from "../../config/schema.ts";
import type { WatchdogSettings } from "../../config/watchdog-settings.ts";
import type { Clock } from "../../core/clock.ts";
import { every } from "../../core/every.ts";
import { judgeAttempt, type Verdict } from "../../watchdog/judge.ts";
import type { AttemptRequest, PermissionAnswer } from "../contract.ts";
import type { AttemptActivity } from "./attempt-activity.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import type { SessionTracker } from "./session-tracker.ts";
import { ToolProcesses } from "./tool-processes.ts";

const headlessMessage =
  "drover runs this session headless and no one can grant permissions; continue without it.";

/** What the watch needs from its attempt. */
export interface AttemptWatchOptions {
  server: OpencodeServer;
  sessionId: string;
  request: AttemptRequest;
  tracker: SessionTracker;
  activity: AttemptActivity;
  watchdog: WatchdogSettings;
  onPermission: OpencodeSettings["onPermission"];
  clock: Clock;
  /**
   * Called when the watchdog starts the attempt again (state `starting`): the engine notes the
   * server left behind and returns where the attempt goes next, appended to the verdict's message.
   */
  onRestart?: () => string;
}

/**
 * The watchdog of one attempt: every tick it reads the attempt's activity (and, for a running
 * command, the CPU and writes of its process tree), asks the judge, and applies the remedy: end
 * the attempt (to restart, retry or continue), kill a hung tool's processes and tell the agent,
 * deny a permission no one answered, or flag. Each remedy is applied once per cause. Never throws.
 */
export class AttemptWatch {
  readonly #o: AttemptWatchOptions;
  #loop: { cancel(): void } | undefined;
  #tools: { callId: string; processes: ToolProcesses | undefined } | undefined;
  readonly #acted = new Set<string>();
  readonly #asks = new Map<string, AbortController>();
  #lastEvidenceAt = 0;

  constructor(options: AttemptWatchOptions) {
    this.#o = options;
  }

  start(): void {
    const w = this.#o.watchdog;
    if (!w.enabled) return;
    const shortest = Math.min(w.startTimeout, w.firstByte, w.stallAfter, w.toolIdle, w.permissionTimeout);
    const tickMs = Math.min(5_000, Math.max(50, Math.floor(shortest / 4)));
    this.#loop = every(
      this.#o.clock,
      tickMs,
      () => this.#tick(),
      () => undefined,
    );
  }

  /**
   * Thrashing is a pattern of steps, not a budget of time: it is judged as soon as a step ends, so
   * a quick run of steps that finishes between two ticks is not missed.
   */
  stepped(): void {
    const { watchdog, activity } = this.#o;
    if (!watchdog.enabled || this.#acted.has("thrashing")) return;
    if (activity.stepsWithoutChange >= watchdog.thrashSteps) this.#tick();
  }

  /** Stops watching; a command still running when the attempt ended (timeout, cancel) is killed. */
  stop(): void {
    this.#loop?.cancel();
    for (const ask of this.#asks.values()) ask.abort("ended");
    this.#asks.clear();
    if (this.#o.activity.tool) this.#processes()?.kill();
  }

  /** A permission request: answered by configuration, or put to a person and awaited. */
  permission(requestId: string, ask: { permission: string; patterns: string[]; tool?: string }): void {
    const { request, onPermission } = this.#o;
    if (onPermission !== "ask" || !request.askPermission) {
      const reply = onPermission === "once" ? "once" : "reject";
      void this.#reply(requestId, { reply, ...(reply === "reject" ? { message: headlessMessage } : {}) });
      return;
    }
    const controller = new AbortController();
    this.#asks.set(requestId, controller);
    request
      .askPermission({ requestId, ...ask }, controller.signal)
      .then((answer) => {
        if (controller.signal.aborted) return;
        this.#asks.delete(requestId);
        return this.#reply(requestId, answer);
      })
      .catch(() => undefined);
  }

  #tick(): void {
    const { tracker, activity, watchdog, request } = this.#o;
    const tool = activity.tool;
    const usage =
      tool?.name === "bash" && tool.command
        ? (this.#processes()?.usage() ?? { cpuMs: undefined })
        : undefined;
    const seen = {
      ...activity.observe(tracker.liveness, usage),
      thrashFlagged: this.#acted.has("thrashing"),
    };
    const now = seen.now;
    if (tool && now - this.#lastEvidenceAt >= 5_000) {
      this.#lastEvidenceAt = now;
      tracker.refresh();
    }
    const judged = judgeAttempt(watchdog, seen);
    if (!judged) return;
    const cause = causeOf(
      judged,
      seen.tool?.startedAt,
      seen.permissionSince,
      seen.requestAt ?? seen.promptAt,
    );
    if (this.#acted.has(cause)) return;
    this.#acted.add(cause);
    const verdict =
      judged.remedy === "restart" && this.#o.onRestart
        ? { ...judged, message: `${judged.message}${this.#o.onRestart()}` }
        : judged;
    request.onWatchdog?.(verdict);
    this.#apply(verdict);
  }

  #apply(verdict: Verdict): void {
    const { tracker } = this.#o;
    switch (verdict.remedy) {
      case "restart":
      case "retry":
        tracker.end({
          kind: "watchdog",
          failure: { type: "watchdog", message: `watchdog: ${verdict.message}`, retryable: true },
        });
        return;
      case "continue":
        tracker.end({
          kind: "watchdog",
          failure: { type: "stalled", message: `watchdog: ${verdict.message}`, retryable: true },
        });
        return;
      case "kill_tool":
        this.#killTool(verdict);
        return;
      case "deny":
        for (const [requestId, ask] of this.#asks) {
          ask.abort("timeout");
          this.#asks.delete(requestId);
          void this.#reply(requestId, {
            reply: "reject",
            message: `No one answered this permission request in time (watchdog.permissionTimeout); ${headlessMessage}`,
          });
        }
        return;
      case "flag":
      case "park":
        return;
    }
  }

  /**
   * Kills the command's processes (its group, and children that left it), then aborts the turn:
   * the attempt is continued in the same session with a note naming the command that hung.
   * (OpenCode's bash tool does not return when its processes are killed from outside; an abort
   * makes it return at once.)
   */
  #killTool(verdict: Verdict): void {
    this.#processes()?.kill();
    const what = verdict.message.replace(/: killed$/, "");
    this.#o.tracker.end({
      kind: "watchdog",
      failure: { type: "stalled", message: `watchdog: ${verdict.message}`, retryable: true },
      note: `drover's watchdog stopped a tool call: ${what}. Do not run it again the same way (no background processes that keep a command's output open, nothing that waits for input); go on with the task.`,
    });
  }

  #processes(): ToolProcesses | undefined {
    const { activity, server, request } = this.#o;
    const tool = activity.tool;
    if (!tool?.command || !server.process) return undefined;
    if (this.#tools?.callId !== tool.callId) {
      this.#tools = {
        callId: tool.callId,
        processes: new ToolProcesses({
          serverId: server.process.serverId,
          serverPid: server.process.pid,
          dir: request.dir,
          command: tool.command,
        }),
      };
    }
    return this.#tools.processes;
  }

  async #reply(requestID: string, answer: PermissionAnswer): Promise<void> {
    // Requests live in the session's directory's instance: without `directory` OpenCode does not find them.
    await this.#o.server.client.permission
      .reply({
        requestID,
        directory: this.#o.request.dir,
        reply: answer.reply,
        ...(answer.message ? { message: answer.message } : {}),
      })
      .catch(() => undefined);
  }
}

/** One remedy per cause: the same tool call, permission request or model request is acted on once. */
function causeOf(verdict: Verdict, toolStart?: number, permissionSince?: number, requestAt?: number): string {
  if (verdict.state === "tool_hung" || verdict.state === "tool_limit") return `tool:${toolStart}`;
  if (verdict.state === "awaiting_permission") return `permission:${permissionSince}`;
  if (verdict.state === "thrashing") return "thrashing";
  return `${verdict.state}:${requestAt}`;
}
