import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CliDialect } from "../cli/cli-agent-engine.ts";
import type { CliStream } from "../cli/cli-stream.ts";
import { failureOfStatus } from "../cli/failure-of-status.ts";

// Codex headless: `codex exec --json`, one JSON event per line — `thread.started` (the session),
// `item.started`/`item.completed` (commands, file changes, the agent's messages), `turn.completed`
// (usage) or `turn.failed`/`error`. The model provider is drover's (the scripted model or the
// gateway) over the Responses API; `--output-schema` makes the last message the report.

interface Item {
  id?: string;
  type?: string;
  text?: string;
  command?: string;
  aggregated_output?: string;
  exit_code?: number | null;
  status?: string;
  changes?: { path?: string }[];
}

export const codexDialect: CliDialect = {
  name: "codex",
  binName: "codex",
  installHint: "install Codex (npm install -g @openai/codex) or set DROVER_CODEX_BIN",
  providers: ["openai"],
  args(request, target, work) {
    const provider = `{name="drover",base_url=${tomlString(`${target.baseURL}/v1`)},wire_api="responses",env_key="DROVER_MODEL_KEY"}`;
    const args = [
      "exec",
      "--json",
      "--skip-git-repo-check",
      // Headless, and Codex's own sandbox cannot set itself up everywhere drover runs: drover's
      // sandbox profile is the boundary, unless the task asks for Codex's (`codex: { sandbox }`).
      ...(request.codex?.sandbox
        ? ["--sandbox", request.codex.sandbox, "-c", 'approval_policy="never"']
        : ["--dangerously-bypass-approvals-and-sandbox"]),
      "-c",
      "model_provider=drover",
      "-c",
      `model_providers.drover=${provider}`,
      "-m",
      target.model,
    ];
    if (request.reportSchema && work.reportFile) {
      mkdirSync(path.dirname(work.reportFile), { recursive: true });
      writeFileSync(work.reportFile, JSON.stringify(strictSchema(request.reportSchema)));
      args.push("--output-schema", work.reportFile);
    }
    const prompt = request.system ? `${request.system}\n\n${request.prompt}` : request.prompt;
    if (request.sessionId) args.push("resume", request.sessionId);
    args.push("--", prompt);
    return args;
  },
  env(target, home) {
    const codexHome = path.join(home, ".codex");
    mkdirSync(codexHome, { recursive: true });
    return { CODEX_HOME: codexHome, DROVER_MODEL_KEY: target.key };
  },
  readLine(line, stream) {
    const event = JSON.parse(line) as {
      type?: string;
      thread_id?: string;
      item?: Item;
      usage?: Record<string, number>;
      error?: { message?: string };
      message?: string;
    };
    switch (event.type) {
      case "thread.started":
        if (event.thread_id) stream.session(event.thread_id);
        return;
      case "turn.started":
        stream.thinking();
        return;
      case "item.started":
        if (event.item?.type === "command_execution")
          stream.toolStarted("exec_command", event.item.command ?? "");
        return;
      case "item.completed":
        return readItem(event.item ?? {}, stream);
      case "turn.completed": {
        const usage = event.usage ?? {};
        stream.addUsage({
          input: usage.input_tokens ?? 0,
          output: usage.output_tokens ?? 0,
          reasoning: usage.reasoning_output_tokens ?? 0,
          cacheRead: usage.cached_input_tokens ?? 0,
        });
        return;
      }
      case "turn.failed":
      case "error": {
        const message = event.error?.message ?? event.message ?? "codex failed";
        const status = /\b(4\d\d|5\d\d)\b/.exec(message)?.[1];
        stream.failure = failureOfStatus(status ? Number(status) : undefined, message);
        return;
      }
    }
  },
};

function readItem(item: Item, stream: CliStream): void {
  switch (item.type) {
    case "command_execution":
      stream.toolFinished(item.aggregated_output ?? "", item.exit_code === 0);
      return;
    case "file_change":
      for (const change of item.changes ?? []) if (change.path) stream.filesChanged.add(change.path);
      stream.toolCall({
        tool: "apply_patch",
        input: (item.changes ?? []).map((c) => c.path).join(", "),
        status: "completed",
      });
      return;
    case "agent_message": {
      const text = item.text ?? "";
      stream.text(text);
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed && typeof parsed === "object" && "outcome" in parsed) stream.report = parsed;
      } catch {
        // plain text
      }
      return;
    }
  }
}

/** Codex (like OpenAI's strict structured outputs) wants every object closed: no extra properties. */
function strictSchema(schema: Record<string, unknown>): Record<string, unknown> {
  return { ...schema, additionalProperties: false };
}

function tomlString(text: string): string {
  return JSON.stringify(text);
}
