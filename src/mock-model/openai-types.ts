import { z } from "zod";

/** The parts of an OpenAI chat-completions request the scripted model reads. */
export const ChatMessage = z.looseObject({
  role: z.string(),
  content: z.unknown().optional(),
  tool_calls: z.array(z.unknown()).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ChatRequest = z.looseObject({
  model: z.string().default("scripted"),
  messages: z.array(ChatMessage),
  stream: z.boolean().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        function: z.looseObject({ name: z.string() }).optional(),
      }),
    )
    .optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "string" ? part : ((part as { text?: string }).text ?? "")))
      .join("\n");
  }
  return "";
}
