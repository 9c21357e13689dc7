import type { EventBus } from "../core/events.ts";

/** What a command may touch of the outside world; tests pass their own. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  bus: EventBus;
  setExitCode(code: number): void;
  /** Installs SIGINT/SIGTERM handlers; returns a function that removes them. */
  onSignals(handler: (signal: NodeJS.Signals) => void): () => void;
  forceExit(code: number): void;
}
