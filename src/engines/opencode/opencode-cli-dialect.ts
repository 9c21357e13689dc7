import type { CliDialect } from "../cli/cli-agent-engine.ts";
import { failureOfStatus } from "../cli/failure-of-status.ts";

// OpenCode one process per attempt (the seeds' method 1): `opencode run --format json`, one JSON
// event per line — `step_start`, `text`, `tool_use` (when a tool ended), `step_finish` (tokens,
// cost), `error` — ending when the session is idle. `run` has no structured-output flag, so the
// report comes from a final turn in the same session that asks for it as JSON.

/** The final turn's request: the agent answers with its report as one JSON object. */
export const reportTurnPrompt = (schema: Record<string, unknown>) =>
  `drover report request: reply with only one JSON object (no prose, no code fence) that matches this JSON Schema, reporting the outcome of the task you just worked on:\n${JSON.stringify(schema)}`;

export function opencodeCliDialect(config: Record<string, unknown>): CliDialect {
  return {
    name: "opencode-cli",
    binName: "opencode",
    installHint:
      "it comes with drover (the opencode-ai dependency): run npm install, or set DROVER_OPENCODE_BIN",
    providers: [],
    // The model is OpenCode's `provider/model`; the config (providers pointed at the scripted model
    // or the gateway) routes it.
    passModel: true,
    args(request) {
      const args = ["run", "--format", "json", "--model", request.model, "--title", request.title];
      if (request.agent) args.push("--agent", request.agent);
      if (request.sessionId) args.push("--session", request.sessionId);
      if (request.files.length > 0) args.push("--file", ...request.files, "--");
      return args;
    },
    // `opencode run` wraps a message given as one argument in literal quotes (and escapes those
    // inside); on stdin it is sent verbatim.
    stdin(request) {
      return request.system ? `${request.system}\n\n${request.prompt}` : request.prompt;
    },
    env() {
      return {
        OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_SHARE: "1",
        OPENCODE_CLIENT: "drover",
      };
    },
    reportTurn: reportTurnPrompt,
    // Opens (creates, migrates) the home's database; without it, cold runs started at once fail
    // with "Failed query: CREATE TABLE …" (measured: 4 to 6 of 8).
    setupArgs: ["db", "path"],
    readLine(line, stream) {
      const event = JSON.parse(line) as {
        type?: string;
        sessionID?: string;
        part?: {
          text?: string;
          tool?: string;
          state?: { status?: string; input?: Record<string, unknown>; output?: string; error?: string };
          tokens?: {
            input?: number;
            output?: number;
            reasoning?: number;
            cache?: { read?: number; write?: number };
          };
          cost?: number;
        };
        error?: { name?: string; data?: { message?: string; statusCode?: number; isRetryable?: boolean } };
      };
      if (event.sessionID) stream.session(event.sessionID);
      const part = event.part ?? {};
      switch (event.type) {
        case "step_start":
          stream.thinking();
          return;
        case "text":
          stream.text(part.text ?? "");
          return;
        case "tool_use": {
          const input = part.state?.input ?? {};
          const file = input.filePath;
          if ((part.tool === "write" || part.tool === "edit") && typeof file === "string")
            stream.filesChanged.add(file);
          stream.toolCall({
            tool: part.tool ?? "tool",
            input: String(input.command ?? input.filePath ?? JSON.stringify(input)),
            status: part.state?.status === "error" ? "error" : "completed",
            output: (part.state?.output ?? part.state?.error ?? "").slice(-4000),
          });
          stream.progressIn(part.tool ?? "tool");
          return;
        }
        case "step_finish":
          stream.addUsage({
            input: part.tokens?.input ?? 0,
            output: part.tokens?.output ?? 0,
            reasoning: part.tokens?.reasoning ?? 0,
            cacheRead: part.tokens?.cache?.read ?? 0,
            cacheWrite: part.tokens?.cache?.write ?? 0,
          });
          stream.cost += part.cost ?? 0;
          return;
        case "error": {
          const data = event.error?.data ?? {};
          const failure = failureOfStatus(
            data.statusCode,
            data.message ?? event.error?.name ?? "opencode run failed",
          );
          // OpenCode says itself when a provider error is final (`isRetryable: false`, e.g. a 4xx
          // whose status did not come through): drover does not try it again either.
          stream.failure = data.isRetryable === false ? { ...failure, retryable: false } : failure;
          return;
        }
      }
    },
  };
}
