import { type Clock, systemClock } from "../../core/clock.ts";
import type { InputIssue } from "../../core/errors.ts";
import { zeroTokens } from "../../core/liveness.ts";
import type { AttemptRequest, AttemptResult, Engine } from "../contract.ts";
import { runAgentProcess } from "../process/agent-process.ts";
import { stoppedResult } from "../process/stopped-result.ts";

/** How much of a command's output is kept (its end): the transcript, the summary, the failure. */
const outputKeep = 16 * 1024;
/** At most one progress report per this long while output keeps coming. */
const progressEveryMs = 1_000;

/**
 * The `shell` engine: the task's prompt is a command, run with `bash -c` in the task's directory —
 * deterministic steps (tests, lint, a build) inside a DAG of agent tasks. Exit 0 completes the
 * task with the end of its output as the summary; another exit fails it (not retried: a red step
 * is a result). No model, no tokens; the command runs with drover's environment minus the provider
 * keys (the `none` profile), in its own process group, reaped on exit, timeout and cancel.
 */
export class ShellEngine implements Engine {
  readonly name = "shell";
  readonly ramPerAttemptMb = 50;
  readonly #env: Record<string, string>;
  readonly #clock: Clock;
  readonly #shell: string;

  constructor(options: { env: NodeJS.ProcessEnv; clock?: Clock; shell?: string }) {
    this.#env = Object.fromEntries(
      Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    this.#clock = options.clock ?? systemClock;
    this.#shell = options.shell ?? "bash";
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async prepare(): Promise<void> {}
  /** A command needs no model and no agent. */
  async checkModels(): Promise<InputIssue[]> {
    return [];
  }
  async checkAgents(): Promise<InputIssue[]> {
    return [];
  }
  async hasSession(): Promise<boolean> {
    return false;
  }

  async runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    const command = (request.taskPrompt ?? request.prompt).trim();
    const startedAt = this.#clock.now();
    let output = "";
    let bytes = 0;
    let reportedAt = 0;
    const progress = () => {
      reportedAt = this.#clock.now();
      request.onProgress({
        liveness: "in_tool",
        tool: "shell",
        since: startedAt,
        tokens: zeroTokens(),
        evidence: { command: command.slice(0, 200), outputBytes: bytes },
      });
    };
    progress();
    const exit = await runAgentProcess({
      bin: this.#shell,
      args: ["-c", command],
      cwd: request.dir,
      env: this.#env,
      signal: request.signal,
      onLine: (line) => {
        output = `${output}${line}\n`.slice(-outputKeep);
      },
      onOutput: (count) => {
        bytes += count;
        if (this.#clock.now() - reportedAt >= progressEveryMs) progress();
      },
    });
    const all = [output.trimEnd(), exit.stderrTail].filter(Boolean).join("\n").slice(-outputKeep);
    const transcript = {
      messages: [
        { role: "user" as const, at: startedAt, text: command, tools: [] },
        {
          role: "assistant" as const,
          text: "",
          tools: [
            {
              tool: "shell",
              input: command.split("\n")[0] ?? "",
              status: exit.code === 0 ? ("completed" as const) : ("error" as const),
              output: all,
            },
          ],
        },
      ],
      omittedMessages: 0,
      truncated: all.length >= outputKeep,
    };
    const base = { tokens: zeroTokens(), cost: 0, filesChanged: [], transcript };
    if (exit.stopped) return { ...stoppedResult(exit.stopped, all), ...base };
    const lastLine =
      all
        .split("\n")
        .filter((line) => line.trim())
        .at(-1) ?? "";
    if (exit.spawnError || exit.code !== 0) {
      const why = exit.spawnError
        ? `could not start ${this.#shell}: ${exit.spawnError}`
        : `\`${command.split("\n")[0]}\` exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`}${lastLine ? `: ${lastLine}` : ""}`;
      return {
        status: "failed",
        failure: { type: "agent_failed", message: why, retryable: false },
        finalText: all,
        ...base,
      };
    }
    const summary = `\`${command.split("\n")[0]}\` succeeded${lastLine ? `: ${lastLine}` : ""}`;
    return {
      status: "succeeded",
      finalText: all || summary,
      report: { outcome: "complete", summary, ...(all ? { evidence: all.slice(-2000) } : {}) },
      ...base,
    };
  }
}
