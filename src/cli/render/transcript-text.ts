import type { StoredTranscript } from "../../store/store.ts";

type Message = StoredTranscript["messages"][number];

/** Limits for a shortened view (`drover show`); the full view has none. */
export interface TranscriptLimits {
  textLines?: number;
  outputLines?: number;
}

/** A transcript as readable text: who spoke, what they said, each tool call with its result. */
export function renderTranscript(transcript: StoredTranscript, limits: TranscriptLimits = {}): string {
  const lines: string[] = [];
  transcript.messages.forEach((message, index) => {
    if (index === 1 && transcript.omittedMessages > 0) {
      lines.push(
        `… ${transcript.omittedMessages} earlier message(s) left out to keep the transcript small …`,
      );
    }
    lines.push(...renderMessage(message, limits));
  });
  return lines.join("\n");
}

/** The last `count` messages of a transcript (for `drover show`), shortened. */
export function renderLastMessages(transcript: StoredTranscript, count: number): string {
  const shown = transcript.messages.slice(-count);
  const skipped = transcript.messages.length - shown.length + transcript.omittedMessages;
  const lines = skipped > 0 ? [`… ${skipped} earlier message(s) …`] : [];
  for (const message of shown) {
    // A prompt ends with drover's outcome instructions: its first paragraph says what the task was.
    const paragraph = message.role === "user" ? message.text.split(/\n\s*\n/)[0]?.trimEnd() : undefined;
    const text = paragraph !== undefined && paragraph !== message.text ? `${paragraph}\n…` : message.text;
    lines.push(...renderMessage({ ...message, text }, { textLines: 6, outputLines: 3 }));
  }
  return lines.join("\n");
}

function renderMessage(message: Message, limits: TranscriptLimits): string[] {
  const when = message.at ? `  ${new Date(message.at).toISOString().slice(11, 19)}` : "";
  const lines = [`${message.role}${when}`];
  if (message.text) lines.push(...indent(clip(message.text, limits.textLines), "  "));
  for (const call of message.tools) {
    lines.push(`  → ${call.tool} ${call.input} [${call.status}]`);
    if (call.output) lines.push(...indent(clip(call.output.trimEnd(), limits.outputLines), "      "));
  }
  if (message.error) lines.push(`  ✗ ${message.error}`);
  if (!message.text && message.tools.length === 0 && !message.error) lines.push("  (no text)");
  return lines;
}

function clip(text: string, maxLines: number | undefined): string {
  if (maxLines === undefined) return text;
  const lines = text.split("\n");
  return lines.length <= maxLines
    ? text
    : [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`].join("\n");
}

function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((line) => `${prefix}${line}`);
}
