import { createOpencodeClient, type OpencodeClient, type Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import { knownSecrets } from "../../security/known-secrets.ts";
import { GlobalEventStream } from "./global-event-stream.ts";
import type { ServerProcess } from "./server-process.ts";

/** Events drover adds to a session's stream when something happens to the server itself. */
export type ServerSignal =
  | { type: "drover.reconnected" }
  | { type: "drover.server-lost"; reason: string }
  /** A streamed chunk of the session's answer (OpenCode's `message.part.delta`, not parsed). */
  | { type: "drover.activity" };

export type SessionListener = (event: OpencodeEvent | ServerSignal) => void;

/**
 * One OpenCode server drover talks to (spawned by the pool, or the user's via attach): an SDK
 * client plus one `/global/event` stream fanned out to per-session listeners.
 */
export class OpencodeServer {
  readonly name: string;
  readonly url: string;
  readonly client: OpencodeClient;
  readonly process: ServerProcess | undefined;
  readonly #stream: GlobalEventStream;
  readonly #listeners = new Map<string, Set<SessionListener>>();
  #lost = false;
  #assigned = 0;
  #busy: { at: number; value: Promise<Set<string>> } | undefined;
  readonly #forgetSecrets: () => void;

  constructor(options: {
    name: string;
    url: string;
    username: string;
    password: string;
    process?: ServerProcess;
    onStreamProblem: (message: string) => void;
  }) {
    this.name = options.name;
    this.url = options.url;
    this.process = options.process;
    const basic = Buffer.from(`${options.username}:${options.password}`).toString("base64");
    const headers = { authorization: `Basic ${basic}` };
    // Redaction knows the password (and its header) wherever it turns up, until the server stops.
    const forgetPassword = knownSecrets.add("OPENCODE_SERVER_PASSWORD", options.password);
    const forgetHeader = knownSecrets.add("OPENCODE_SERVER_PASSWORD", basic);
    this.#forgetSecrets = () => {
      forgetPassword();
      forgetHeader();
    };
    this.client = createOpencodeClient({ baseUrl: options.url, headers });
    this.#stream = new GlobalEventStream({
      url: options.url,
      headers,
      onEvent: (event) => this.#route(event),
      onConnected: () => this.#broadcast({ type: "drover.reconnected" }),
      onDisconnected: (reason) =>
        options.onStreamProblem(`event stream of ${options.name} dropped: ${reason}`),
      onActivity: (sessionId) => {
        for (const listener of this.#listeners.get(sessionId) ?? []) listener(activity);
      },
    });
  }

  /** Resolves once the event stream is connected, so no session event can be missed. */
  get ready(): Promise<void> {
    return this.#stream.ready;
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Attempts assigned to this server and not yet finished. */
  get load(): number {
    return this.#assigned;
  }

  /** Counts an attempt against this server at once (before its session exists); call the result when done. */
  assign(): () => void {
    this.#assigned++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#assigned--;
    };
  }

  listen(sessionId: string, listener: SessionListener): () => void {
    let set = this.#listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.#listeners.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(sessionId);
    };
  }

  /**
   * Ids of the sessions busy right now. Watchdogs of many attempts ask at once: one request serves
   * every caller within a second.
   */
  busySessions(): Promise<Set<string>> {
    const now = Date.now();
    if (this.#busy && now - this.#busy.at < 1000) return this.#busy.value;
    const value = this.client.session
      .status()
      .then((result) => new Set(Object.keys((result.data ?? {}) as Record<string, unknown>)));
    this.#busy = { at: now, value };
    value.catch(() => {
      this.#busy = undefined;
    });
    return value;
  }

  async healthy(timeoutMs = 5000): Promise<boolean> {
    try {
      const result = await this.client.global.health({ signal: AbortSignal.timeout(timeoutMs) });
      return result.response?.ok === true;
    } catch {
      return false;
    }
  }

  /** Tells every attempt on this server that it is gone, and stops following it. */
  markLost(reason: string): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#broadcast({ type: "drover.server-lost", reason });
    this.#stream.close();
  }

  async stop(): Promise<void> {
    this.#stream.close();
    await this.process?.stop();
    this.#forgetSecrets();
  }

  #route(event: OpencodeEvent): void {
    const sessionId = sessionIdOf(event);
    if (!sessionId) return;
    for (const listener of this.#listeners.get(sessionId) ?? []) listener(event);
  }

  #broadcast(signal: ServerSignal): void {
    for (const set of this.#listeners.values()) for (const listener of set) listener(signal);
  }
}

const activity: ServerSignal = { type: "drover.activity" };

function sessionIdOf(event: OpencodeEvent): string | undefined {
  const props = event.properties as Record<string, unknown> | undefined;
  if (!props) return undefined;
  if (typeof props.sessionID === "string") return props.sessionID;
  const part = props.part as { sessionID?: unknown } | undefined;
  if (part && typeof part.sessionID === "string") return part.sessionID;
  const info = props.info as { sessionID?: unknown } | undefined;
  if (info && typeof info.sessionID === "string") return info.sessionID;
  return undefined;
}
