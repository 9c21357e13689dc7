import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import type { WatchdogEvidence } from "../../core/liveness.ts";
import type { AttemptObservation, ToolObservation } from "../../watchdog/judge.ts";
import type { ServerSignal } from "./opencode-server.ts";

/**
 * The watchdog's view of one session's turn, kept from its event stream: when the prompt went out,
 * when the latest model request began and last sent a byte, the running tool call and its output,
 * a pending permission, and steps without a file change. Times come from `now` (the injected clock).
 */
export class AttemptActivity {
  readonly #now: () => number;
  promptAt: number;
  requestAt: number | undefined;
  lastByteAt: number | undefined;
  permissionSince: number | undefined;
  stepsWithoutChange = 0;
  tool: (ToolObservation & { callId: string }) | undefined;
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

  observe(liveness: AttemptObservation["liveness"], cpu?: { cpuMs: number | undefined }): AttemptObservation {
    const now = this.#now();
    if (this.tool && cpu) {
      if (cpu.cpuMs !== undefined && (this.tool.cpuMs === undefined || cpu.cpuMs > this.tool.cpuMs)) {
        this.tool.cpuAt = this.tool.cpuMs === undefined ? this.tool.startedAt : now;
        this.tool.cpuMs = cpu.cpuMs;
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
        outputBytes: output.length,
        outputAt: now,
      };
      return;
    }
    if (!this.tool.command && typeof state.input?.command === "string")
      this.tool.command = state.input.command;
    if (output.length !== this.tool.outputBytes) {
      this.tool.outputBytes = output.length;
      this.tool.outputAt = now;
    }
  }
}

function outputOf(metadata: Record<string, unknown> | undefined): string {
  const output = metadata?.output;
  return typeof output === "string" ? output : "";
}
