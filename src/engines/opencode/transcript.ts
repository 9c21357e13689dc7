import path from "node:path";
import type { Message, Part } from "@opencode-ai/sdk/v2";
import { addTokens, type TokenCounts, zeroTokens } from "../../core/liveness.ts";

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
