import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import { isProcessAlive } from "../core/process-alive.ts";
import { readApiToken } from "../security/api-token.ts";

export const DaemonInfo = z.object({ pid: z.number(), url: z.string(), startedAt: z.number() });
export type DaemonInfo = z.infer<typeof DaemonInfo>;

export function daemonInfoFile(stateDir: string): string {
  return path.join(stateDir, "daemon.json");
}

export function readDaemonInfo(stateDir: string): DaemonInfo | undefined {
  try {
    return DaemonInfo.parse(JSON.parse(readFileSync(daemonInfoFile(stateDir), "utf8")));
  } catch {
    return undefined;
  }
}

/** Talks to the running daemon of a state dir over its authenticated HTTP API. */
export class DaemonClient {
  readonly url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
  }

  static connect(stateDir: string): DaemonClient {
    const info = readDaemonInfo(stateDir);
    const token = readApiToken(stateDir);
    if (!info || !token) {
      throw new DroverError(
        "engine_unavailable",
        `no drover daemon is running for ${stateDir} (start one with \`drover daemon\`)`,
      );
    }
    return new DaemonClient(info.url, token);
  }

  /** The daemon of a state dir if one is running (its process is alive), else undefined. */
  static find(stateDir: string): DaemonClient | undefined {
    const info = readDaemonInfo(stateDir);
    const token = readApiToken(stateDir);
    if (!info || !token || !isProcessAlive(info.pid)) return undefined;
    return new DaemonClient(info.url, token);
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#token}` };
  }

  async request<T>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers: { ...this.headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new DroverError(
        "engine_unavailable",
        `cannot reach the drover daemon at ${this.url}: ${(error as Error).message}`,
      );
    }
    const payload = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string; issues?: [] };
    };
    if (!response.ok) {
      const code = (payload.error?.code ?? "internal") as ConstructorParameters<typeof DroverError>[0];
      throw new DroverError(code, payload.error?.message ?? `HTTP ${response.status}`, {
        issues: payload.error?.issues ?? [],
      });
    }
    return payload as T;
  }
}
