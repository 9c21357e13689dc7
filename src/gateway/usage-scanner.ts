import { StringDecoder } from "node:string_decoder";
import type { TokenUsage } from "./usage-record.ts";

/** Longest SSE line or JSON body looked into for usage; longer ones pass through unread. */
const maxScanned = 4 * 1024 * 1024;

/**
 * Reads token counts out of a response as its chunks go by, without holding the stream up: SSE
 * `data:` lines are parsed one by one, a JSON body once it ends. Knows the shapes of OpenAI chat
 * (`usage.prompt_tokens`), OpenAI responses (`response.usage.input_tokens`), Anthropic
 * (`message.usage`, `usage` of `message_delta`) and Google (`usageMetadata`); counts only grow
 * within a stream, so the largest seen of each wins.
 */
export class UsageScanner {
  readonly #sse: boolean;
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";
  #skipping = false;
  #usage: Partial<TokenUsage> = {};

  constructor(contentType: string | undefined) {
    this.#sse = (contentType ?? "").includes("text/event-stream");
  }

  push(chunk: Buffer): void {
    if (this.#skipping && !this.#sse) return;
    this.#pending += this.#decoder.write(chunk);
    if (!this.#sse) {
      if (this.#pending.length > maxScanned) {
        this.#skipping = true;
        this.#pending = "";
      }
      return;
    }
    let newline = this.#pending.indexOf("\n");
    while (newline >= 0) {
      const line = this.#pending.slice(0, newline);
      this.#pending = this.#pending.slice(newline + 1);
      if (this.#skipping) this.#skipping = false;
      else this.#readLine(line);
      newline = this.#pending.indexOf("\n");
    }
    if (this.#pending.length > maxScanned) {
      this.#skipping = true;
      this.#pending = "";
    }
  }

  /** The counts seen, once the body has ended; undefined when the response carried none. */
  finish(): TokenUsage | undefined {
    this.#pending += this.#decoder.end();
    if (this.#sse) this.#readLine(this.#pending);
    else if (!this.#skipping) this.#merge(parseJson(this.#pending));
    this.#pending = "";
    const { input, output, cacheRead, cacheWrite } = this.#usage;
    if (input === undefined && output === undefined) return undefined;
    return {
      input: input ?? 0,
      output: output ?? 0,
      ...(cacheRead !== undefined ? { cacheRead } : {}),
      ...(cacheWrite !== undefined ? { cacheWrite } : {}),
    };
  }

  #readLine(line: string): void {
    const match = /^data:\s?(.*)$/.exec(line.trimEnd());
    const payload = match?.[1];
    if (payload?.startsWith("{")) this.#merge(parseJson(payload));
  }

  #merge(payload: unknown): void {
    if (!isRecord(payload)) return;
    const response = isRecord(payload.response) ? payload.response : {};
    const message = isRecord(payload.message) ? payload.message : {};
    for (const usage of [payload.usage, response.usage, message.usage, payload.usageMetadata]) {
      if (!isRecord(usage)) continue;
      this.#raise("input", usage.prompt_tokens ?? usage.input_tokens ?? usage.promptTokenCount);
      this.#raise("output", usage.completion_tokens ?? usage.output_tokens ?? usage.candidatesTokenCount);
      const promptDetails = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
      const inputDetails = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {};
      this.#raise(
        "cacheRead",
        usage.cache_read_input_tokens ??
          promptDetails.cached_tokens ??
          inputDetails.cached_tokens ??
          usage.cachedContentTokenCount,
      );
      this.#raise("cacheWrite", usage.cache_creation_input_tokens);
    }
  }

  #raise(field: keyof TokenUsage, value: unknown): void {
    if (typeof value !== "number" || !Number.isFinite(value)) return;
    this.#usage[field] = Math.max(this.#usage[field] ?? 0, value);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
