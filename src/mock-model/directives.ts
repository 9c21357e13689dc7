/**
 * The scripted model's directive language: `[[name args]]` tokens in the latest user message
 * decide, deterministically, what the model answers. Documented for users in docs/scripted-model.md.
 */
export type Directive = DirectiveBody & {
  /** `[[name@model …]]`: the directive applies only to requests for this model id. */
  model?: string;
};

type DirectiveBody =
  | { kind: "tool"; name: string; args: Record<string, unknown> }
  | { kind: "reply"; text: string }
  | { kind: "structured"; value: unknown }
  | { kind: "error"; status: number; retryAfter?: number; times: number; key: string }
  | { kind: "stall"; times: number; key: string }
  | { kind: "hang"; times: number; key: string }
  | { kind: "slow"; ms: number }
  | { kind: "delay"; ms: number }
  | { kind: "tokens"; input: number; output: number }
  | { kind: "no-report" }
  /** Decomposition requests only: classify the brief atomic even when it lists parts. */
  | { kind: "atomic" }
  /** Decomposition requests only: answer with exactly this report. */
  | { kind: "decomposition"; value: unknown };

export interface ParsedDirectives {
  directives: Directive[];
  /** The message text with every directive removed. */
  plainText: string;
  /** Problems found, reported to the caller as an HTTP 400 naming the directive. */
  problems: string[];
}

const directivePattern = /\[\[([a-z][a-z-]*)(?:@([\w.-]+))?(?:[ \t]+([\s\S]*?))?\]\]/g;

export function parseDirectives(text: string): ParsedDirectives {
  const directives: Directive[] = [];
  const problems: string[] = [];
  for (const match of text.matchAll(directivePattern)) {
    const name = match[1] as string;
    const model = match[2];
    const rest = (match[3] ?? "").trim();
    const raw = match[0];
    const result = parseOne(name, rest, raw);
    if (typeof result === "string") problems.push(`${raw}: ${result}`);
    else if (result) directives.push(model ? { ...result, model } : result);
  }
  const plainText = text.replace(directivePattern, "").replace(/\s+/g, " ").trim();
  return { directives, plainText, problems };
}

function parseOne(name: string, rest: string, raw: string): DirectiveBody | string | undefined {
  switch (name) {
    case "no-report":
      return { kind: "no-report" };
    case "atomic":
      return { kind: "atomic" };
    case "decomposition": {
      const json = parseJson(rest);
      return json === undefined ? "needs valid JSON" : { kind: "decomposition", value: json };
    }
    case "reply":
      return { kind: "reply", text: expandEscapes(rest) };
    case "bash":
      return rest
        ? { kind: "tool", name: "bash", args: { command: rest, description: "Run a shell command" } }
        : "needs a command";
    case "write": {
      const [filePath, ...content] = rest.split(/[ \t]+/);
      if (!filePath) return "needs a path";
      const body = rest.slice(filePath.length).trimStart();
      return {
        kind: "tool",
        name: "write",
        args: { filePath, content: `${expandEscapes(content.length ? body : "")}\n` },
      };
    }
    case "hang-tool":
      // A command whose background child keeps the output pipe open: the bash tool never returns.
      return {
        kind: "tool",
        name: "bash",
        args: {
          command: `echo started; sleep ${rest && /^\d+(\.\d+)?$/.test(rest) ? rest : "86400"} &`,
          description: "Start a background job",
        },
      };
    case "ask-permission":
      // Writing outside the project asks OpenCode's `external_directory` permission.
      return {
        kind: "tool",
        name: "write",
        args: {
          filePath: rest || "../drover-permission.txt",
          content: "written after a person allowed it\n",
        },
      };
    case "words": {
      const count = Number(rest);
      if (!Number.isInteger(count) || count < 1 || count > 100_000) return "needs a word count (1-100000)";
      return { kind: "reply", text: Array.from({ length: count }, (_, i) => `word${i + 1}`).join(" ") };
    }
    case "read":
      return rest ? { kind: "tool", name: "read", args: { filePath: rest } } : "needs a path";
    case "edit": {
      const match = /^(\S+)\s+([\s\S]*?)\s+=>\s+([\s\S]*)$/.exec(rest);
      if (!match) return "use [[edit PATH OLD => NEW]]";
      return {
        kind: "tool",
        name: "edit",
        args: {
          filePath: match[1],
          oldString: expandEscapes(match[2] ?? ""),
          newString: expandEscapes(match[3] ?? ""),
        },
      };
    }
    case "tool": {
      const match = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!match) return "use [[tool NAME {json args}]]";
      const json = parseJson(match[2] || "{}");
      if (json === undefined || typeof json !== "object" || json === null)
        return "arguments must be a JSON object";
      return { kind: "tool", name: match[1] as string, args: json as Record<string, unknown> };
    }
    case "structured": {
      const json = parseJson(rest);
      return json === undefined ? "needs valid JSON" : { kind: "structured", value: json };
    }
    case "error": {
      const [status, ...options] = rest.split(/\s+/);
      const code = Number(status);
      if (!Number.isInteger(code) || code < 400 || code > 599) return "needs an HTTP status 400-599";
      const opts = parseOptions(options);
      if (typeof opts === "string") return opts;
      const retryAfter = opts["retry-after"];
      return {
        kind: "error",
        status: code,
        ...(retryAfter !== undefined ? { retryAfter } : {}),
        times: opts.times ?? Number.POSITIVE_INFINITY,
        key: raw,
      };
    }
    case "stall":
    case "hang": {
      const opts = parseOptions(rest ? rest.split(/\s+/) : []);
      if (typeof opts === "string") return opts;
      return { kind: name, times: opts.times ?? Number.POSITIVE_INFINITY, key: raw };
    }
    case "slow":
    case "delay": {
      const ms = Number(rest);
      return Number.isFinite(ms) && ms >= 0 ? { kind: name, ms } : "needs milliseconds";
    }
    case "tokens": {
      const [input, output] = rest.split(/\s+/).map(Number);
      if (!Number.isInteger(input) || !Number.isInteger(output)) return "use [[tokens INPUT OUTPUT]]";
      return { kind: "tokens", input: input as number, output: output as number };
    }
    default:
      // Unknown [[words]] are left alone: prompts may contain wiki links or templates.
      return undefined;
  }
}

function parseOptions(tokens: string[]): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const token of tokens) {
    if (!token) continue;
    const match = /^([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(token);
    if (!match) return `bad option "${token}" (use key=number, e.g. times=1 retry-after=2)`;
    out[match[1] as string] = Number(match[2]);
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function expandEscapes(text: string): string {
  return text.replace(/\\n/g, "\n").replace(/\\t/g, "\t");
}
