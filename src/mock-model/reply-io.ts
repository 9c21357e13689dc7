import type http from "node:http";
import type { ReplyPlan } from "./decide-reply.ts";
import { type ChatRequest, textOf } from "./openai-types.ts";

// What every dialect of the scripted model writes replies with.

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Waits `ms`, or less if the client hangs up. */
export function wait(ms: number, req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    req.socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The pieces a text is streamed in: a word and the space after it. */
export function wordsOf(text: string): string[] {
  return text.split(/(?<= )/);
}

/** Usage for a reply: `[[tokens IN OUT]]`, else characters ÷ 4 of the request and the answer. */
export function usageOf(
  request: ChatRequest,
  output: string,
  plan: ReplyPlan,
): { input: number; output: number } {
  if (plan.tokens) return { input: plan.tokens.input, output: plan.tokens.output };
  const inputChars = request.messages.reduce((sum, m) => sum + textOf(m.content).length, 0);
  return { input: Math.max(1, Math.ceil(inputChars / 4)), output: Math.max(1, Math.ceil(output.length / 4)) };
}
