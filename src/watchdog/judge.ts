import { toolLimitFor, type WatchdogSettings } from "../config/watchdog-settings.ts";
import { formatDuration } from "../core/duration.ts";
import type { Liveness, WatchdogEvidence, WatchdogRemedy, WatchdogState } from "../core/liveness.ts";

/**
 * What the watchdog knows about one running attempt at one moment. Times are ms on the clock the
 * observations were taken with; the judge itself never reads a clock, so tests drive it freely.
 */
export interface AttemptObservation {
  now: number;
  liveness: Liveness;
  /** When the prompt (or continuation) was sent. */
  promptAt: number;
  /** When the latest model request began (OpenCode created its assistant message), if one has. */
  requestAt?: number;
  /** When the model last sent anything for the latest request (a part, a token, a tool call). */
  lastByteAt?: number;
  /** The tool call running now, if any. */
  tool?: ToolObservation;
  /** Since when a permission request waits for an answer. */
  permissionSince?: number;
  /** Model steps in a row that changed no file. */
  stepsWithoutChange: number;
  /** Thrashing was flagged already for this attempt (it is flagged once). */
  thrashFlagged?: boolean;
}

export interface ToolObservation {
  name: string;
  startedAt: number;
  /** The command, for bash. */
  command?: string;
  /** Bytes of output so far as OpenCode shows it, and when that last grew. */
  outputBytes: number;
  outputAt: number;
  /**
   * Bytes its process tree wrote so far (to the output pipe, files or anywhere; undefined: not
   * read), and when that last grew. Seen when OpenCode's view of the output does not grow.
   */
  wroteBytes?: number;
  wroteAt?: number;
  /** CPU ms of its process tree so far (undefined: no process found), and when that last grew. */
  cpuMs?: number;
  cpuAt?: number;
}

/** What the watchdog decided: the state that is past its budget, the remedy, and the evidence. */
export interface Verdict {
  state: WatchdogState;
  remedy: WatchdogRemedy;
  message: string;
  evidence: WatchdogEvidence;
}

/**
 * The one policy table: each liveness state has its budget and its remedy. Slow but steady work is
 * never judged: a stream that keeps sending bytes, a tool whose output, writes or CPU keep growing.
 */
export function judgeAttempt(settings: WatchdogSettings, seen: AttemptObservation): Verdict | undefined {
  const { now } = seen;
  const ago = (at: number) => formatDuration(Math.max(0, now - at));
  if (seen.liveness === "rate_limited" || seen.liveness === "done") return undefined;
  if (!seen.thrashFlagged && seen.stepsWithoutChange >= settings.thrashSteps) {
    return {
      state: "thrashing",
      remedy: "flag",
      message: `${seen.stepsWithoutChange} model steps in a row without a file change`,
      evidence: { steps: seen.stepsWithoutChange },
    };
  }
  if (seen.liveness === "awaiting_permission") {
    if (seen.permissionSince === undefined || now - seen.permissionSince < settings.permissionTimeout)
      return undefined;
    return {
      state: "awaiting_permission",
      remedy: "deny",
      message: `no one answered the permission request in ${ago(seen.permissionSince)}: denied`,
      evidence: { waitingSince: seen.permissionSince },
    };
  }
  if (seen.liveness === "in_tool" && seen.tool) return judgeTool(settings, seen.tool, now);
  if (seen.requestAt === undefined) {
    if (now - seen.promptAt < settings.startTimeout) return undefined;
    return {
      state: "starting",
      remedy: "restart",
      message: `no model request ${ago(seen.promptAt)} after the prompt: starting the attempt again`,
      evidence: { promptAt: seen.promptAt },
    };
  }
  const since = seen.lastByteAt ?? seen.requestAt;
  if (seen.lastByteAt === undefined || seen.lastByteAt < seen.requestAt) {
    if (now - seen.requestAt < settings.firstByte) return undefined;
    return {
      state: "no_first_byte",
      remedy: "retry",
      message: `the model sent nothing ${ago(seen.requestAt)} after the request: aborted, to retry`,
      evidence: { requestAt: seen.requestAt },
    };
  }
  if (now - since >= settings.stallAfter) {
    return {
      state: "stalled",
      remedy: "continue",
      message: `the model's stream went silent ${ago(since)} ago: aborted, to continue in the same session`,
      evidence: { requestAt: seen.requestAt, lastByteAt: since },
    };
  }
  return undefined;
}

function judgeTool(settings: WatchdogSettings, tool: ToolObservation, now: number): Verdict | undefined {
  const evidence: WatchdogEvidence = {
    tool: tool.name,
    ...(tool.command ? { command: tool.command.slice(0, 200) } : {}),
    startedAt: tool.startedAt,
    outputBytes: tool.outputBytes,
    outputAt: tool.outputAt,
    ...(tool.wroteBytes !== undefined ? { wroteBytes: tool.wroteBytes } : {}),
    ...(tool.wroteAt !== undefined ? { wroteAt: tool.wroteAt } : {}),
    ...(tool.cpuMs !== undefined ? { cpuMs: tool.cpuMs } : {}),
    ...(tool.cpuAt !== undefined ? { cpuAt: tool.cpuAt } : {}),
  };
  const what = tool.command ? `\`${tool.command.slice(0, 120)}\`` : tool.name;
  const limit = toolLimitFor(settings, tool.name);
  if (now - tool.startedAt >= limit) {
    return {
      state: "tool_limit",
      remedy: "kill_tool",
      message: `${what} ran ${formatDuration(now - tool.startedAt)}, past its hard limit of ${formatDuration(limit)}: killed`,
      evidence,
    };
  }
  const lastSign = Math.max(tool.startedAt, tool.outputAt, tool.wroteAt ?? 0, tool.cpuAt ?? 0);
  if (now - lastSign < settings.toolIdle) return undefined;
  const quietFor = (at: number | undefined) => formatDuration(now - Math.max(tool.startedAt, at ?? 0));
  const signs = [
    `no output for ${quietFor(tool.outputAt)}`,
    ...(tool.wroteBytes !== undefined ? [`no writes for ${quietFor(tool.wroteAt)}`] : []),
    tool.cpuMs === undefined ? "no process found" : `no CPU for ${quietFor(tool.cpuAt)}`,
  ];
  return {
    state: "tool_hung",
    remedy: "kill_tool",
    message: `${what} hung: ${signs.join(", ")}: killed`,
    evidence,
  };
}
