import { chmodSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Clock, systemClock } from "../../core/clock.ts";
import type { InputIssue } from "../../core/errors.ts";
import type { ClaudeOAuth } from "../../security/claude-oauth.ts";

export type { CliDialect, ModelTarget } from "./cli-dialect.ts";

import type { AttemptRequest, AttemptResult, Engine } from "../contract.ts";
import { claimHomeDir } from "../opencode/claim-home-dir.ts";
import { prepareEngineHome } from "../opencode/engine-home.ts";
import { issueModelCredential, modelCredentialPath } from "../opencode/model-credential.ts";
import { runAgentProcess } from "../process/agent-process.ts";
import { stoppedResult } from "../process/stopped-result.ts";
import type { CliDialect, ModelTarget } from "./cli-dialect.ts";
import { CliStream } from "./cli-stream.ts";
import { resolveCliBin } from "./resolve-cli-bin.ts";

/** Bounds the one-time setup of a home (OpenCode's database: about 2 s here). */
const setupTimeoutMs = 120_000;

export interface CliAgentEngineOptions {
  /** drover's state dir: the CLI's HOME lives under `engines/opencode/<name>` (the gateway's credentials). */
  stateDir: string;
  /** drover's environment minus the provider keys (the model gateway holds those). */
  env: NodeJS.ProcessEnv;
  /** The scripted model's base URL without `/v1` (`drover/*` models). */
  scriptedUrl?: string;
  /** The gateway's base URL per provider (`…/v1`), for the providers it routes. */
  gatewayURLFor?: (provider: string) => string | undefined;
  clock?: Clock;
  /** An explicit binary (config), else node_modules/.bin or PATH. */
  bin?: string;
  /** Claude subscription credentials (for a dialect that can use them: Anthropic work signs in with them). */
  claudeOAuth?: () => ClaudeOAuth | undefined;
}

/**
 * An engine that runs one CLI process per attempt (Claude Code `claude -p`, Codex `codex exec`)
 * in the task's directory, in its own process group with stdin from /dev/null, its HOME a home of
 * drover's (sessions persist there, so an attempt can resume the last one), its model requests sent
 * to drover's scripted model or through the model gateway with a credential drover issued.
 */
export class CliAgentEngine implements Engine {
  readonly name: string;
  readonly ramPerAttemptMb = 300;
  readonly #dialect: CliDialect;
  readonly #options: CliAgentEngineOptions;
  readonly #clock: Clock;
  #home: { dir: string; release(): void; env: Record<string, string> } | undefined;
  /** The home's one-time setup run (the dialect's `setupArgs`): its failure, or undefined. */
  #setup: Promise<string | undefined> | undefined;

  constructor(dialect: CliDialect, options: CliAgentEngineOptions) {
    this.name = dialect.name;
    this.#dialect = dialect;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  unavailable(): { field: "engine"; message: string } | undefined {
    if (this.#bin()) return undefined;
    return {
      field: "engine",
      message: `engine "${this.name}" is not installed: ${this.#dialect.binName} was not found; ${this.#dialect.installHint}`,
    };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.#home?.release();
    this.#home = undefined;
    this.#setup = undefined;
  }

  async prepare(): Promise<void> {}

  async checkModels(uses: readonly { model: string; source: string; path: string }[]): Promise<InputIssue[]> {
    return uses.flatMap((use) => {
      const target = this.#target(use.model);
      return typeof target === "string" ? [{ source: use.source, path: use.path, message: target }] : [];
    });
  }

  async checkAgents(uses: readonly { agent: string; source: string; path: string }[]): Promise<InputIssue[]> {
    return uses.map((use) => ({
      source: use.source,
      path: use.path,
      message: `the ${this.name} engine has no OpenCode agents ("${use.agent}")`,
    }));
  }

  async hasSession(): Promise<boolean> {
    return true;
  }

  async runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    const bin = this.#bin();
    const target = this.#target(request.model);
    const empty = { tokens: this.#zero(), cost: 0, finalText: "", filesChanged: [] };
    if (!bin)
      return {
        status: "failed",
        failure: { type: "engine_unavailable", message: this.unavailable()?.message ?? "", retryable: false },
        ...empty,
      };
    if (typeof target === "string")
      return {
        status: "failed",
        failure: { type: "model_error", message: target, retryable: false },
        ...empty,
      };
    const home = this.#claimHome();
    // The subscription's credentials file is what the CLI reads in its (drover's) home.
    if (target.oauth?.file) {
      mkdirSync(path.join(home, ".claude"), { recursive: true, mode: 0o700 });
      copyFileSync(target.oauth.file, path.join(home, ".claude", ".credentials.json"));
      chmodSync(path.join(home, ".claude", ".credentials.json"), 0o600);
    }
    const setupFailure = await this.#setUp(bin, home, {
      ...this.#baseEnv(),
      ...this.#homeEnv(),
      ...this.#dialect.env(target, home, request),
    });
    if (setupFailure)
      return {
        status: "failed",
        failure: { type: "engine_crashed", message: setupFailure, retryable: true },
        ...empty,
      };
    const stream = new CliStream({
      now: () => this.#clock.now(),
      onProgress: request.onProgress,
      onSession: (sessionId) => request.onSession(sessionId, this.name),
    });
    stream.prompt(request.prompt);
    const reportFile = request.reportSchema
      ? path.join(home, "reports", `${request.attemptId}.json`)
      : undefined;
    const run = (attempt: AttemptRequest, into: CliStream) =>
      runAgentProcess({
        bin,
        args: this.#dialect.args(attempt, target, { home, ...(reportFile ? { reportFile } : {}) }),
        cwd: attempt.dir,
        env: {
          ...this.#baseEnv(),
          ...this.#homeEnv(),
          ...this.#dialect.env(target, home, attempt),
        },
        signal: attempt.signal,
        ...(this.#dialect.stdin ? { input: this.#dialect.stdin(attempt) } : {}),
        onLine: (line) => {
          try {
            this.#dialect.readLine(line, into);
          } catch {
            // not a JSON line: the CLI's own chatter
          }
        },
      });
    let exit = await run(request, stream);
    const { reportTurn } = this.#dialect;
    if (
      reportTurn &&
      request.reportSchema &&
      exit.code === 0 &&
      !stream.failure &&
      stream.report === undefined &&
      stream.sessionId
    ) {
      exit = await this.#askForReport(request, stream, reportTurn(request.reportSchema), run);
    }
    const result = {
      ...(stream.sessionId ? { sessionId: stream.sessionId } : {}),
      tokens: stream.tokens,
      cost: target.free ? 0 : stream.cost,
      finalText: stream.finalText,
      filesChanged: [...stream.filesChanged],
      server: this.name,
      transcript: { messages: stream.messages, omittedMessages: 0, truncated: false },
      ...(stream.report !== undefined ? { report: stream.report } : {}),
    };
    if (exit.stopped) return { ...result, ...stoppedResult(exit.stopped, stream.finalText) };
    if (stream.failure)
      return {
        ...result,
        status: "failed",
        failure: stream.failure,
        ...(stream.rateLimitedUntil ? { rateLimitedUntil: stream.rateLimitedUntil } : {}),
      };
    if (exit.code !== 0 || exit.spawnError) {
      const why = exit.spawnError ?? (exit.stderrTail.split("\n").at(-1) || `exit code ${exit.code}`);
      return {
        ...result,
        status: "failed",
        failure: {
          type: "engine_crashed",
          message: `${this.#dialect.binName} ended: ${why}`,
          retryable: true,
        },
      };
    }
    return { ...result, status: "succeeded" };
  }

  /** Runs the dialect's setup once per home, alone: every attempt waits for it; a failed one is tried again. */
  async #setUp(bin: string, home: string, env: Record<string, string>) {
    const args = this.#dialect.setupArgs;
    if (!args) return undefined;
    // Not any one attempt's run (a cancel of that attempt must not fail the others waiting on it).
    const signal = AbortSignal.timeout(setupTimeoutMs);
    this.#setup ??= runAgentProcess({ bin, args: [...args], cwd: home, env, signal, onLine: () => {} }).then(
      (exit) =>
        exit.code === 0
          ? undefined
          : `${this.#dialect.binName} ${args.join(" ")} (setting up its home) ended: ${exit.spawnError ?? (exit.stderrTail.split("\n").at(-1) || `exit code ${exit.code}`)}`,
    );
    const setup = this.#setup;
    const failure = await setup;
    if (failure && this.#setup === setup) this.#setup = undefined;
    return failure;
  }

  /** The report turn: same session, its final text parsed as the report; its usage counted too. */
  async #askForReport(
    request: AttemptRequest,
    stream: CliStream,
    prompt: string,
    run: (attempt: AttemptRequest, into: CliStream) => ReturnType<typeof runAgentProcess>,
  ): ReturnType<typeof runAgentProcess> {
    const turn = new CliStream({
      now: () => this.#clock.now(),
      onProgress: request.onProgress,
      onSession: () => {},
    });
    const { system: _system, ...rest } = request;
    const exit = await run({ ...rest, prompt, files: [], sessionId: stream.sessionId as string }, turn);
    stream.addUsage(turn.tokens);
    stream.cost += turn.cost;
    if (turn.failure) stream.failure = turn.failure;
    try {
      stream.report = JSON.parse(turn.finalText.trim().replace(/^```(?:json)?\s*|\s*```$/g, "")) as unknown;
    } catch {
      // not JSON: the supervisor treats the missing report as it does for any engine
    }
    return exit;
  }

  #bin(): string | undefined {
    return this.#options.bin ?? resolveCliBin(this.#dialect.binName, this.#options.env.PATH);
  }

  /** Where `provider/model` goes, or why it cannot go anywhere. */
  #target(model: string): ModelTarget | string {
    const [provider, ...rest] = model.split("/");
    const id = rest.join("/");
    if (this.#dialect.passModel) return { baseURL: "", key: "", model, free: provider === "drover" };
    if (provider === "drover" && this.#options.scriptedUrl)
      return { baseURL: this.#options.scriptedUrl, key: "drover-scripted", model: id, free: true };
    if (!provider || !this.#dialect.providers.includes(provider))
      return `the ${this.name} engine cannot call ${model}: it speaks to ${[...this.#dialect.providers, "drover"].join(", ")} models`;
    const oauth = this.#dialect.oauth ? this.#options.claudeOAuth?.() : undefined;
    if (oauth && provider === "anthropic") return { baseURL: "", key: "", model: id, free: false, oauth };
    const baseURL = this.#options.gatewayURLFor?.(provider);
    if (!baseURL)
      return `no key for ${provider} reaches drover's model gateway (set its key in drover's environment) for ${model}`;
    return { baseURL, key: this.#credential(), model: id, free: false };
  }

  #credential(): string {
    const home = this.#claimHome();
    return readFileSync(path.join(home, modelCredentialPath), "utf8").trim();
  }

  /** The CLI's HOME: a claimed home of drover's engine root, with a gateway credential of its own. */
  #homeEnv(): Record<string, string> {
    this.#claimHome();
    return this.#home?.env ?? {};
  }

  #claimHome(): string {
    if (!this.#home) {
      const claim = claimHomeDir(path.join(this.#options.stateDir, "engines", "opencode"), this.name);
      issueModelCredential(claim.dir);
      // HOME and XDG under the claimed home, made once: the CLI's sessions and config live there.
      this.#home = { ...claim, env: prepareEngineHome(claim.dir).env };
    }
    return this.#home.env.HOME as string;
  }

  #baseEnv(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.#options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  #zero() {
    return { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
  }
}
