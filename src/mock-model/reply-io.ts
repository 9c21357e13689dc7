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

/** Waits out `[[delay]]` before the first byte (or less, if the client hangs up). */
export async function waitOutDelay(plan: ReplyPlan, req: http.IncomingMessage): Promise<void> {
  if (plan.delayMs > 0) await wait(plan.delayMs, req);
}

/** The `Retry-After` header of an error reply that has one. */
export function retryAfterHeaders(reply: { retryAfter?: number }): Record<string, string> {
  return reply.retryAfter !== undefined ? { "retry-after": String(reply.retryAfter) } : {};
}

/**
 * Streams `text` a word at a time through `send` (one every `[[slow]]` ms); a `[[stall]]` sends half
 * and stops. False when nothing more may be sent: it stalled (the connection stays open and
 * silent) or the client left.
 */
export async function streamWords(
  text: string,
  plan: ReplyPlan,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  send: (word: string) => void,
): Promise<boolean> {
  const words = text.split(/(?<= )/);
  const stalls = plan.reply.kind === "stall";
  const stopAt = stalls ? Math.max(1, Math.floor(words.length / 2)) : words.length;
  for (const word of words.slice(0, stopAt)) {
    if (res.destroyed) return false;
    send(word);
    if (plan.slowMs) await wait(plan.slowMs, req);
  }
  return !stalls && !res.destroyed;
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
