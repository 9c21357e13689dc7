import { type Directive, parseDirectives } from "./directives.ts";
import { type ChatRequest, textOf } from "./openai-types.ts";
import { briefOf, decompositionAsked, outlineOf, scriptedDecomposition } from "./scripted-decomposition.ts";

/** What the scripted model does for one request. */
export type ScriptedReply =
  | { kind: "text"; text: string }
  | { kind: "tool"; name: string; args: Record<string, unknown> }
  | { kind: "error"; status: number; message: string; retryAfter?: number }
  | { kind: "stall"; text: string }
  | { kind: "hang" };

export interface ReplyPlan {
  reply: ScriptedReply;
  slowMs: number;
  delayMs: number;
  tokens?: { input: number; output: number };
  /** Short label for logs and stats: `text`, `tool:bash`, `error:429`, `title`, … */
  label: string;
  /** The `times=N` directive this reply used up, to be counted by the caller. */
  firedKey?: string;
}

/** Counts, per conversation and directive, how often a `times=N` directive has fired. */
export type FireCounter = (key: string) => number;

/**
 * Decides the reply from the latest user message. Tool directives run in order, one per turn:
 * the number of assistant tool calls since that message says which turn this is.
 */
export function decideReply(request: ChatRequest, fired: FireCounter): ReplyPlan {
  const messages = request.messages;
  const toolNames = (request.tools ?? []).map((tool) => tool.function?.name).filter(Boolean) as string[];
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => textOf(m.content))
    .join("\n");
  if (toolNames.length === 0 && /title generator/i.test(system)) {
    return plan({ kind: "text", text: "Scripted session" }, "title");
  }

  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const userText = lastUser >= 0 ? textOf(messages[lastUser]?.content) : "";
  // drover's report turn (engines without structured output): the report as the answer's text, from
  // the task's own `[[structured]]` (in the message the task started with) or "complete".
  if (userText.includes("drover report request:")) {
    const task = messages
      .slice(0, lastUser)
      .findLast((m) => m.role === "user" && !textOf(m.content).includes("drover report request:"));
    const original = parseDirectives(textOf(task?.content));
    const structured = original.directives.find(
      (d): d is Extract<Directive, { kind: "structured" }> =>
        d.kind === "structured" && (d.model === undefined || d.model === request.model),
    );
    const value = structured
      ? structured.value
      : { outcome: "complete", summary: replyText(original.plainText, original.directives) };
    return plan({ kind: "text", text: JSON.stringify(value) }, "report");
  }
  // A decomposition request reads only the brief's own text: directives inside its list items
  // belong to those parts (they run when the parts do).
  const decomposition = decompositionAsked(request.tools);
  const outline = decomposition ? outlineOf(briefOf(userText)) : undefined;
  const parsed = parseDirectives(outline ? outline.scope : userText);
  if (parsed.problems.length > 0) {
    return plan(
      { kind: "error", status: 400, message: `scripted model: bad directive ${parsed.problems.join("; ")}` },
      "error:400",
    );
  }
  // `[[name@model …]]` directives apply only to that model (e.g. to script a tier escalation).
  const directives = parsed.directives.filter((d) => d.model === undefined || d.model === request.model);
  const find = <K extends Directive["kind"]>(kind: K) =>
    directives.find((d): d is Extract<Directive, { kind: K }> => d.kind === kind);

  const base = {
    slowMs: find("slow")?.ms ?? 0,
    delayMs: find("delay")?.ms ?? 0,
    ...(find("tokens") ? { tokens: find("tokens") as { input: number; output: number } } : {}),
  };

  for (const d of directives) {
    if ((d.kind === "error" || d.kind === "hang" || d.kind === "stall") && fired(d.key) < d.times) {
      const fired = { ...base, firedKey: d.key };
      if (d.kind === "hang") return { ...fired, reply: { kind: "hang" }, label: "hang" };
      if (d.kind === "stall")
        return {
          ...fired,
          reply: { kind: "stall", text: replyText(parsed.plainText, directives) },
          label: "stall",
        };
      return {
        ...fired,
        reply: {
          kind: "error",
          status: d.status,
          message: errorMessageFor(d.status),
          ...(d.retryAfter !== undefined ? { retryAfter: d.retryAfter } : {}),
        },
        label: `error:${d.status}`,
      };
    }
  }

  const after = messages.slice(lastUser + 1);
  const toolTurnsDone = after.filter((m) => m.role === "assistant" && (m.tool_calls?.length ?? 0) > 0).length;
  const tools = outline
    ? []
    : directives.filter((d): d is Extract<Directive, { kind: "tool" }> => d.kind === "tool");
  const next = tools[toolTurnsDone];
  if (next) {
    if (!toolNames.includes(next.name)) {
      return {
        ...base,
        reply: {
          kind: "text",
          text: `I cannot call the ${next.name} tool: it is not offered in this session.`,
        },
        label: "text",
      };
    }
    return { ...base, reply: { kind: "tool", name: next.name, args: next.args }, label: `tool:${next.name}` };
  }

  // Once the report was given (a client that sends its result back, as Claude Code does), the turn ends.
  const reported = after.some(
    (m) =>
      m.role === "assistant" &&
      (m.tool_calls ?? []).some(
        (call) => (call as { function?: { name?: string } }).function?.name === "StructuredOutput",
      ),
  );
  if (toolNames.includes("StructuredOutput") && !find("no-report") && !reported) {
    const structured = outline ? find("decomposition") : find("structured");
    const value = structured
      ? structured.value
      : outline && decomposition
        ? scriptedDecomposition(outline, decomposition.max, find("atomic") !== undefined)
        : { outcome: "complete", summary: replyText(parsed.plainText, directives) };
    const args = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { value };
    return {
      ...base,
      reply: { kind: "tool", name: "StructuredOutput", args },
      label: "tool:StructuredOutput",
    };
  }

  const lastTool = after.findLast((m) => m.role === "tool");
  let text = replyText(parsed.plainText, directives);
  if (lastTool && !find("reply")) text = `${text} Tool said: ${textOf(lastTool.content).slice(0, 200)}`;
  return { ...base, reply: { kind: "text", text }, label: "text" };

  function plan(reply: ScriptedReply, label: string): ReplyPlan {
    return { reply, slowMs: 0, delayMs: 0, label };
  }
}

function replyText(plainText: string, directives: readonly Directive[]): string {
  const reply = directives.find((d) => d.kind === "reply");
  if (reply && reply.kind === "reply") return reply.text;
  return `Done: ${plainText.slice(0, 120) || "(empty prompt)"}`;
}

function errorMessageFor(status: number): string {
  if (status === 429) return "Rate limit reached for scripted model. Please retry later.";
  if (status === 401) return "Invalid API key provided to the scripted model.";
  if (status >= 500) return "The scripted model had an internal error.";
  return `The scripted model refused the request (${status}).`;
}
