import { addTokens, type TokenCounts, zeroTokens } from "../../core/liveness.ts";
import type { AttemptFailure } from "../../core/outcome.ts";
import type { AttemptProgress, TranscriptMessage, TranscriptToolCall } from "../contract.ts";

/**
 * What a CLI engine's JSON stream said, as it arrives: one shape for every CLI (Claude Code,
 * Codex), read by the engine into drover's progress events and the attempt's result.
 */
export class CliStream {
  sessionId: string | undefined;
  tokens: TokenCounts = zeroTokens();
  /** USD, when the CLI reports it. */
  cost = 0;
  finalText = "";
  report: unknown;
  failure: AttemptFailure | undefined;
  rateLimitedUntil: number | undefined;
  readonly filesChanged = new Set<string>();
  readonly messages: TranscriptMessage[] = [];
  readonly #onProgress: (progress: AttemptProgress) => void;
  readonly #now: () => number;
  readonly #onSession: (sessionId: string) => void;
  #since: number;
  #liveness: AttemptProgress["liveness"] = "starting";
  #tool: string | undefined;

  constructor(options: {
    now: () => number;
    onProgress(progress: AttemptProgress): void;
    onSession(sessionId: string): void;
  }) {
    this.#now = options.now;
    this.#onProgress = options.onProgress;
    this.#onSession = options.onSession;
    this.#since = options.now();
  }

  session(id: string): void {
    if (this.sessionId === id) return;
    this.sessionId = id;
    this.#onSession(id);
  }

  /** The agent is thinking (a model request is under way or its answer streaming). */
  thinking(): void {
    this.#set("thinking", undefined);
  }

  toolStarted(tool: string, input: string): void {
    this.#assistant().tools.push({ tool, input: input.slice(0, 300), status: "running" });
    this.#set("in_tool", tool);
  }

  toolFinished(output: string, ok: boolean): void {
    const running = this.#assistant().tools.findLast((call) => call.status === "running");
    if (running) {
      running.status = ok ? "completed" : "error";
      running.output = output.slice(-4000);
    }
    this.thinking();
  }

  /** A whole tool call seen at once (the CLI reports only its end). */
  toolCall(call: TranscriptToolCall): void {
    this.#assistant().tools.push({ ...call, input: call.input.slice(0, 300) });
  }

  /** A tool ran (a CLI that reports tools only once they ended). */
  progressIn(tool: string): void {
    this.#set("in_tool", tool);
  }

  text(text: string): void {
    if (!text) return;
    const message = this.#assistant();
    message.text = message.text ? `${message.text}\n${text}` : text;
    this.finalText = text;
    this.thinking();
  }

  addUsage(tokens: Partial<TokenCounts>): void {
    this.tokens = addTokens(this.tokens, { ...zeroTokens(), ...tokens });
  }

  /** The user's prompt, first in the transcript. */
  prompt(text: string): void {
    this.messages.push({ role: "user", at: this.#now(), text, tools: [] });
  }

  get toolsUsed(): number {
    return this.messages.reduce((sum, message) => sum + message.tools.length, 0);
  }

  #assistant(): TranscriptMessage {
    const last = this.messages.at(-1);
    if (last?.role === "assistant") return last;
    const message: TranscriptMessage = { role: "assistant", at: this.#now(), text: "", tools: [] };
    this.messages.push(message);
    return message;
  }

  #set(liveness: AttemptProgress["liveness"], tool: string | undefined): void {
    if (liveness !== this.#liveness || tool !== this.#tool) this.#since = this.#now();
    this.#liveness = liveness;
    this.#tool = tool;
    this.#onProgress({
      liveness,
      ...(tool ? { tool } : {}),
      since: this.#since,
      tokens: this.tokens,
      evidence: { lastEventAt: this.#now() },
    });
  }
}
