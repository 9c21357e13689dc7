import type { CliDialect } from "../cli/cli-agent-engine.ts";
import type { CliStream } from "../cli/cli-stream.ts";
import { failureOfStatus } from "../cli/failure-of-status.ts";

// Claude Code headless: `claude -p PROMPT --output-format stream-json --verbose`, one JSON object
// per line — `system/init` (the session id), `assistant` messages (text, tool_use), `user` messages
// (tool_result), and a final `result` (usage, cost, the answer, `structured_output`).

interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  content?: unknown;
  is_error?: boolean;
}

const fileTools = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

export const claudeDialect: CliDialect = {
  name: "claude",
  binName: "claude",
  installHint: "install Claude Code (npm install -g @anthropic-ai/claude-code) or set DROVER_CLAUDE_BIN",
  providers: ["anthropic"],
  oauth: true,
  args(request, target) {
    const options = request.claude ?? {};
    const args = [
      "-p",
      request.prompt,
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      target.model,
      // Headless: nobody answers a permission prompt; drover's sandbox profile is the boundary,
      // unless the task asks for a stricter mode (`claude: { permissionMode }`).
      "--permission-mode",
      options.permissionMode ?? "bypassPermissions",
    ];
    if (options.allowedTools?.length) args.push("--allowedTools", ...options.allowedTools);
    if (options.disallowedTools?.length) args.push("--disallowedTools", ...options.disallowedTools);
    if (options.maxTurns !== undefined) args.push("--max-turns", String(options.maxTurns));
    if (request.sessionId) args.push("--resume", request.sessionId);
    if (request.system) args.push("--append-system-prompt", request.system);
    if (request.reportSchema) args.push("--json-schema", JSON.stringify(request.reportSchema));
    return args;
  },
  env(target, _home, request) {
    return {
      // The task's provider-request budget bounds Claude Code's own retries (it retries even a 401).
      ...(request.maxFailedRequests !== undefined
        ? { CLAUDE_CODE_MAX_RETRIES: String(Math.max(0, request.maxFailedRequests - 1)) }
        : {}),
      // A subscription signs in itself (token, or the credentials file in its home); else the
      // gateway (or the scripted model) with drover's credential.
      ...(target.oauth
        ? target.oauth.token
          ? { CLAUDE_CODE_OAUTH_TOKEN: target.oauth.token }
          : {}
        : { ANTHROPIC_BASE_URL: target.baseURL, ANTHROPIC_API_KEY: target.key }),
      // No telemetry, update checks or other traffic a headless worker has no use for.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      // Claude Code refuses to bypass permissions as root unless told it runs in a sandbox.
      ...(process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {}),
    };
  },
  readLine(line, stream) {
    const event = JSON.parse(line) as Record<string, unknown>;
    if (typeof event.session_id === "string") stream.session(event.session_id);
    switch (event.type) {
      case "system":
        if (event.subtype === "init") stream.thinking();
        return;
      case "assistant":
        return readAssistant(event.message as { content?: Block[] }, stream);
      case "user":
        for (const block of (event.message as { content?: Block[] })?.content ?? []) {
          if (block.type === "tool_result")
            stream.toolFinished(textOf(block.content), block.is_error !== true);
        }
        return;
      case "result":
        return readResult(event, stream);
    }
  },
};

function readAssistant(message: { content?: Block[] } | undefined, stream: CliStream): void {
  for (const block of message?.content ?? []) {
    if (block.type === "text" && block.text) stream.text(block.text);
    if (block.type === "tool_use" && block.name) {
      if (block.name === "StructuredOutput") {
        stream.report = block.input;
        continue;
      }
      const input = block.input ?? {};
      if (fileTools.has(block.name) && typeof input.file_path === "string")
        stream.filesChanged.add(input.file_path);
      stream.toolStarted(block.name, String(input.command ?? input.file_path ?? JSON.stringify(input)));
    }
  }
}

function readResult(event: Record<string, unknown>, stream: CliStream): void {
  const usage = (event.usage ?? {}) as Record<string, number | undefined>;
  stream.addUsage({
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheWrite: usage.cache_creation_input_tokens ?? 0,
  });
  if (typeof event.total_cost_usd === "number") stream.cost = event.total_cost_usd;
  if (typeof event.result === "string" && event.result) stream.finalText = event.result;
  if (event.structured_output !== undefined && event.structured_output !== null)
    stream.report = event.structured_output;
  if (event.is_error === true || (typeof event.subtype === "string" && event.subtype.startsWith("error"))) {
    const status = typeof event.api_error_status === "number" ? event.api_error_status : undefined;
    const message =
      typeof event.result === "string" && event.result
        ? event.result
        : `claude ended with ${String(event.subtype)}`;
    // The turn limit the task set: another attempt would stop at it again.
    stream.failure =
      event.subtype === "error_max_turns"
        ? {
            type: "agent_failed",
            message: "Claude Code stopped at the task's claude.maxTurns limit",
            retryable: false,
          }
        : failureOfStatus(status, message);
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("\n");
  return "";
}
