import path from "node:path";
import type { Message, Part, ToolState } from "@opencode-ai/sdk/v2";
import { addTokens, type TokenCounts, zeroTokens } from "../../core/liveness.ts";
import type { AttemptTranscript, TranscriptMessage, TranscriptToolCall } from "../contract.ts";

export interface TranscriptEntry {
  info: Message;
  parts: Part[];
}

export interface TranscriptSummary {
  tokens: TokenCounts;
  cost: number;
  finalText: string;
  filesChanged: string[];
  /** The error of the last assistant message, if it ended in one. */
  error?: { name: string; data: Record<string, unknown> };
}

const fileTools = new Set(["write", "edit", "multiedit", "patch", "apply_patch"]);

/** Reads tokens, cost, final text and changed files from the messages of one attempt. */
export function summarizeTranscript(entries: readonly TranscriptEntry[], dir: string): TranscriptSummary {
  let tokens = zeroTokens();
  let cost = 0;
  const files = new Set<string>();
  let last: TranscriptEntry | undefined;
  for (const entry of entries) {
    if (entry.info.role !== "assistant") continue;
    last = entry;
    const t = entry.info.tokens;
    tokens = addTokens(tokens, {
      input: t.input,
      output: t.output,
      reasoning: t.reasoning,
      cacheRead: t.cache.read,
      cacheWrite: t.cache.write,
    });
    cost += entry.info.cost;
    for (const part of entry.parts) {
      if (part.type === "patch") for (const file of part.files) files.add(path.resolve(dir, file));
      if (part.type === "tool" && fileTools.has(part.tool) && part.state.status === "completed") {
        const metadata = (part.state.metadata ?? {}) as { filepath?: unknown };
        const input = part.state.input as { filePath?: unknown };
        const file = typeof metadata.filepath === "string" ? metadata.filepath : input.filePath;
        if (typeof file === "string") files.add(path.resolve(dir, file));
      }
    }
  }
  const finalText = (last?.parts ?? [])
    .filter((part) => part.type === "text" && !part.synthetic)
    .map((part) => (part.type === "text" ? part.text : ""))
    .join("\n")
    .trim();
  const error = last && last.info.role === "assistant" ? last.info.error : undefined;
  return {
    tokens,
    cost,
    finalText,
    filesChanged: [...files].sort(),
    ...(error ? { error: { name: error.name, data: (error.data ?? {}) as Record<string, unknown> } } : {}),
  };
}

/** Most bytes one attempt's stored transcript may take (its JSON). */
export const maxTranscriptBytes = 256 * 1024;
const maxTextChars = 32 * 1024;
const maxToolOutputChars = 4 * 1024;
const tightToolOutputChars = 512;
const maxInputChars = 300;

/**
 * The attempt's conversation as drover stores it: the prompt, then each assistant message's text
 * and tool calls (tool, one-line input, status, cut output). Fits in `maxBytes`: tool outputs are
 * cut first, then messages are left out from the middle, keeping the prompt and the latest ones.
 */
export function buildAttemptTranscript(
  prompt: string,
  entries: readonly TranscriptEntry[],
  maxBytes = maxTranscriptBytes,
): AttemptTranscript {
  let truncated = false;
  const cut = (text: string, max: number) => {
    const result = cutMiddle(text, max);
    if (result !== text) truncated = true;
    return result;
  };
  const messages: TranscriptMessage[] = [{ role: "user", text: cut(prompt, maxTextChars), tools: [] }];
  for (const entry of entries) {
    const info = entry.info;
    const text = entry.parts
      .map((part) => (part.type === "text" && !part.synthetic ? part.text : ""))
      .filter((piece) => piece.length > 0)
      .join("\n")
      .trim();
    const tools = entry.parts.flatMap((part): TranscriptToolCall[] =>
      part.type === "tool"
        ? [toolCall(part.tool, part.state, (output) => cut(output, maxToolOutputChars))]
        : [],
    );
    const error = info.role === "assistant" && info.error ? describeMessageError(info.error) : undefined;
    messages.push({
      role: info.role,
      at: info.time.created,
      text: cut(text, maxTextChars),
      tools,
      ...(error ? { error: cut(error, maxTextChars) } : {}),
    });
  }
  return fitTranscript({ messages, omittedMessages: 0, truncated }, maxBytes);
}

function toolCall(tool: string, state: ToolState, cutOutput: (text: string) => string): TranscriptToolCall {
  const input = summarizeToolInput(state.input);
  const output =
    state.status === "completed" ? state.output : state.status === "error" ? state.error : undefined;
  return {
    tool,
    input,
    status: state.status,
    ...(output !== undefined ? { output: cutOutput(output) } : {}),
  };
}

/** A tool call's input on one line: `key="value"` pairs, cut to a few hundred characters. */
export function summarizeToolInput(input: Record<string, unknown>): string {
  const line = Object.entries(input)
    .map(([key, value]) => `${key}=${JSON.stringify(value) ?? String(value)}`)
    .join(" ");
  return line.length > maxInputChars ? `${line.slice(0, maxInputChars - 1)}…` : line;
}

function describeMessageError(error: { name: string; data?: unknown }): string {
  const data = (error.data ?? {}) as { message?: unknown };
  return typeof data.message === "string" && data.message ? `${error.name}: ${data.message}` : error.name;
}

function fitTranscript(transcript: AttemptTranscript, maxBytes: number): AttemptTranscript {
  const size = (t: AttemptTranscript) => Buffer.byteLength(JSON.stringify(t));
  if (size(transcript) <= maxBytes) return transcript;
  const tight: AttemptTranscript = {
    ...transcript,
    truncated: true,
    messages: transcript.messages.map((message) => ({
      ...message,
      tools: message.tools.map((call) =>
        call.output === undefined ? call : { ...call, output: cutMiddle(call.output, tightToolOutputChars) },
      ),
    })),
  };
  const [first, ...rest] = tight.messages;
  let kept = rest;
  let omitted = 0;
  while (
    kept.length > 1 &&
    size({ ...tight, messages: [first as TranscriptMessage, ...kept], omittedMessages: omitted }) > maxBytes
  ) {
    const drop = Math.max(1, Math.ceil(kept.length / 8));
    kept = kept.slice(drop);
    omitted += drop;
  }
  return { ...tight, messages: first ? [first, ...kept] : kept, omittedMessages: omitted };
}

/** Keeps the start and the end of `text`, marking how much was cut between them. */
function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${text.slice(text.length - half)}`;
}
