import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import type { WatchdogEvidence } from "../../core/liveness.ts";
import type { AttemptObservation, ToolObservation } from "../../watchdog/judge.ts";
import type { ServerSignal } from "./opencode-server.ts";
import type { ToolUsage } from "./tool-processes.ts";

/**
 * The watchdog's view of one session's turn, kept from its event stream: when the prompt went out,
 * when the latest model request began and last sent a byte, the running tool call and its output,
 * a pending permission, and steps without a file change. Times come from `now` (the injected clock).
 * A command's output is seen two ways: what OpenCode shows of it (the running tool part's
 * `metadata.output`), and what its processes wrote (from /proc, passed to `observe`).
 */
export class AttemptActivity {
  readonly #now: () => number;
  promptAt: number;
  requestAt: number | undefined;
  lastByteAt: number | undefined;
  permissionSince: number | undefined;
  stepsWithoutChange = 0;
  tool: (ToolObservation & { callId: string }) | undefined;
  /** The running tool's output as OpenCode last showed it. */
  #shown = "";
  readonly #requests = new Set<string>();
  readonly #steps = new Set<string>();

  constructor(now: () => number) {
    this.#now = now;
    this.promptAt = now();
  }

  /** Following a session already at work (after a restart): count it as alive from now. */
  assumeRunning(): void {
    const now = this.#now();
    this.requestAt = now;
    this.lastByteAt = now;
  }

  /** A new prompt (a continuation, or the watchdog's note) starts a new turn. */
  prompted(): void {
    this.promptAt = this.#now();
    this.requestAt = undefined;
    this.lastByteAt = undefined;
  }

  handle(event: OpencodeEvent | ServerSignal): void {
    const now = this.#now();
    switch (event.type) {
      case "drover.activity":
        this.lastByteAt = now;
        return;
      case "message.updated": {
        const info = event.properties.info;
        if (info.role !== "assistant" || this.#requests.has(info.id) || info.time.completed) return;
        this.#requests.add(info.id);
        this.requestAt = now;
        return;
      }
      case "message.part.updated": {
        const part = event.properties.part;
        if (this.#requests.has(part.messageID)) this.lastByteAt = now;
        if (part.type === "tool") this.#toolPart(part, now);
        else if (part.type === "patch" && part.files.length > 0) this.stepsWithoutChange = 0;
        else if (part.type === "step-finish" && !this.#steps.has(part.id)) {
          this.#steps.add(part.id);
          this.stepsWithoutChange++;
        }
        return;
      }
      case "permission.asked":
        this.permissionSince = now;
        return;
      case "permission.replied":
        this.permissionSince = undefined;
        return;
      default:
        return;
    }
  }

  /**
   * The observation for the judge. `usage` is what the running command's processes used so far;
   * its first reading counts from the tool's start, later ones as growth now.
   */
  observe(liveness: AttemptObservation["liveness"], usage?: ToolUsage): AttemptObservation {
    const now = this.#now();
    const tool = this.tool;
    if (tool && usage) {
      if (usage.cpuMs !== undefined && (tool.cpuMs === undefined || usage.cpuMs > tool.cpuMs)) {
        tool.cpuAt = tool.cpuMs === undefined ? tool.startedAt : now;
        tool.cpuMs = usage.cpuMs;
      }
      if (
        usage.wroteBytes !== undefined &&
        (tool.wroteBytes === undefined || usage.wroteBytes > tool.wroteBytes)
      ) {
        tool.wroteAt = tool.wroteBytes === undefined ? tool.startedAt : now;
        tool.wroteBytes = usage.wroteBytes;
      }
    }
    return {
      now,
      liveness,
      promptAt: this.promptAt,
      ...(this.requestAt !== undefined ? { requestAt: this.requestAt } : {}),
      ...(this.lastByteAt !== undefined ? { lastByteAt: this.lastByteAt } : {}),
      ...(this.tool ? { tool: { ...this.tool } } : {}),
      ...(this.permissionSince !== undefined ? { permissionSince: this.permissionSince } : {}),
      stepsWithoutChange: this.stepsWithoutChange,
    };
  }

  /** Why the attempt is where it is, for the views: flat, small, no secrets (commands are cut). */
  evidence(): WatchdogEvidence {
    const out: WatchdogEvidence = { promptAt: this.promptAt, steps: this.stepsWithoutChange };
    if (this.requestAt !== undefined) out.requestAt = this.requestAt;
    if (this.lastByteAt !== undefined) out.lastByteAt = this.lastByteAt;
    if (this.permissionSince !== undefined) out.permissionSince = this.permissionSince;
    if (this.tool) {
      out.tool = this.tool.name;
      out.toolStartedAt = this.tool.startedAt;
      out.toolOutputBytes = this.tool.outputBytes;
      out.toolOutputAt = this.tool.outputAt;
      if (this.tool.cpuMs !== undefined) out.toolCpuMs = this.tool.cpuMs;
      if (this.tool.wroteBytes !== undefined) out.toolWroteBytes = this.tool.wroteBytes;
      if (this.tool.wroteAt !== undefined) out.toolWroteAt = this.tool.wroteAt;
    }
    return out;
  }

  #toolPart(
    part: Extract<OpencodeEvent, { type: "message.part.updated" }>["properties"]["part"],
    now: number,
  ) {
    if (part.type !== "tool") return;
    const state = part.state;
    if (state.status !== "pending" && state.status !== "running") {
      if (this.tool?.callId === part.callID) this.tool = undefined;
      if (state.status === "completed" && /^(write|edit|multiedit|patch)$/.test(part.tool))
        this.stepsWithoutChange = 0;
      return;
    }
    const output = state.status === "running" ? outputOf(state.metadata) : "";
    if (this.tool?.callId !== part.callID) {
      const command = typeof state.input?.command === "string" ? state.input.command : undefined;
      this.tool = {
        callId: part.callID,
        name: part.tool,
        startedAt: now,
        ...(command ? { command } : {}),
        outputBytes: printedBetween("", output),
        outputAt: now,
      };
      this.#shown = output;
      return;
    }
    if (!this.tool.command && typeof state.input?.command === "string")
      this.tool.command = state.input.command;
    if (output !== this.#shown) {
      this.tool.outputBytes += printedBetween(this.#shown, output);
      this.tool.outputAt = now;
      this.#shown = output;
    }
  }
}

/** What OpenCode puts before the tail it keeps of a long output (measured on 1.18.33). */
const cutMarker = "...\n\n";

/**
 * How many bytes a running command printed between two of OpenCode's views of its output. Past
 * 30,000 characters OpenCode shows only a sliding tail after `...\n\n`, so the length stops
 * growing while the text still moves: the part after the old tail's end is what was printed. A
 * lower bound: repeating text hides how far the tail moved (then drover's reading of the
 * processes' writes in /proc is what shows the command alive).
 */
export function printedBetween(before: string, after: string): number {
  if (after === before) return 0;
  if (after.startsWith(before)) return Buffer.byteLength(after.slice(before.length));
  const body = after.startsWith(cutMarker) ? after.slice(cutMarker.length) : after;
  const old = before.startsWith(cutMarker) ? before.slice(cutMarker.length) : before;
  const end = old.slice(-256);
  const at = end ? body.lastIndexOf(end) : -1;
  return Buffer.byteLength(at === -1 ? body : body.slice(at + end.length));
}

function outputOf(metadata: Record<string, unknown> | undefined): string {
  const output = metadata?.output;
  return typeof output === "string" ? output : "";
}
