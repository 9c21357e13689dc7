import path from "node:path";
import type { OpencodeSettings } from "../../config/schema.ts";
import { errorMessage, type InputIssue } from "../../core/errors.ts";
import { zeroTokens } from "../../core/liveness.ts";
import type { AttemptRequest, AttemptResult, Engine } from "../contract.ts";
import { checkModels } from "./check-models.ts";
import { ServerPool, type ServerPoolOptions } from "./server-pool.ts";
import { runSessionAttempt } from "./session-attempt.ts";

export interface OpencodeEngineOptions {
  settings: OpencodeSettings;
  bin: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** The OpenCode config every server gets (see generateOpencodeConfig). */
  config: Record<string, unknown>;
  report: ServerPoolOptions["report"];
}

/** The OpenCode engine: attempts run as sessions on a warm pool of `opencode serve` processes. */
export class OpencodeServerEngine implements Engine {
  readonly name = "opencode-server";
  readonly #options: OpencodeEngineOptions;
  readonly #pool: ServerPool;

  constructor(options: OpencodeEngineOptions) {
    this.#options = options;
    this.#pool = new ServerPool({
      settings: options.settings,
      bin: options.bin,
      root: path.join(options.stateDir, "engines", "opencode"),
      env: options.env,
      config: options.config,
      report: options.report,
    });
  }

  get pool(): ServerPool {
    return this.#pool;
  }

  start(): Promise<void> {
    return this.#pool.start();
  }

  async checkModels(uses: readonly { model: string; source: string; path: string }[]): Promise<InputIssue[]> {
    const providers = (this.#options.config.provider ?? {}) as Record<string, unknown>;
    return checkModels(await this.#pool.acquire(), uses, providers);
  }

  async runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    let release: (() => void) | undefined;
    try {
      const server = (request.server && this.#pool.byName(request.server)) || (await this.#pool.acquire());
      release = server.assign();
      return await runSessionAttempt(server, request, this.#options.settings);
    } catch (error) {
      return {
        status: "failed",
        failure: { type: "engine_unavailable", message: errorMessage(error), retryable: true },
        tokens: zeroTokens(),
        cost: 0,
        finalText: "",
        filesChanged: [],
      };
    } finally {
      release?.();
    }
  }

  /** Boots each server's project instance for these directories (plugins, config) ahead of the first session. */
  async prepare(dirs: readonly string[]): Promise<void> {
    const unique = [...new Set(dirs)];
    await Promise.all(
      this.#pool.servers.flatMap((server) =>
        unique.map((directory) => server.client.path.get({ directory }).catch(() => undefined)),
      ),
    );
  }

  async hasSession(sessionId: string, server?: string): Promise<boolean> {
    const candidates = server ? [this.#pool.byName(server)] : this.#pool.servers;
    for (const candidate of candidates) {
      if (!candidate || candidate.lost) continue;
      const found = await candidate.client.session.get({ sessionID: sessionId }).catch(() => undefined);
      if (found?.data) return true;
    }
    return false;
  }

  stop(): Promise<void> {
    return this.#pool.stop();
  }
}
