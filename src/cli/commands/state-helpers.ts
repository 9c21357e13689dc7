import { createApp, type DroverApp, type DroverState, openState } from "../../app.ts";
import { loadConfig } from "../../config/load.ts";
import type { CliContext } from "../context.ts";

export interface StateFlags {
  json?: boolean;
  config?: string;
  stateDir?: string;
}

export function loadFor(flags: StateFlags, context: CliContext) {
  return loadConfig({
    cwd: context.cwd,
    env: context.env,
    ...(flags.config ? { file: flags.config } : {}),
    flags: { stateDir: flags.stateDir },
  });
}

/** Runs `work` with the store and its services (no OpenCode servers), closing them afterwards. */
export async function withState<T>(
  flags: StateFlags,
  context: CliContext,
  work: (state: DroverState) => T | Promise<T>,
): Promise<T> {
  const state = openState({ loaded: loadFor(flags, context), bus: context.bus });
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}

/** Runs `work` with the whole app (servers, supervisor), cancelling on SIGINT/SIGTERM. */
export async function withApp<T>(
  flags: StateFlags,
  context: CliContext,
  models: string[],
  work: (app: DroverApp) => Promise<T>,
): Promise<T> {
  const loaded = loadFor(flags, context);
  const app = await createApp({
    loaded,
    env: context.env,
    models: [loaded.config.model, ...models],
    bus: context.bus,
  });
  const remove = context.onSignals(() => {
    for (const runner of app.runners.list()) if (runner.activeRun) app.runners.stop(runner.name);
  });
  try {
    await app.supervisor.start();
    return await work(app);
  } finally {
    remove();
    await app.close();
  }
}

export function addStateOptions<T extends { option(flags: string, description: string): T }>(command: T): T {
  return command
    .option("--json", "print JSON")
    .option("--config <file>", "config file (default: ./drover.json)")
    .option("--state-dir <dir>", "state directory (default: .drover)");
}

export function output(context: CliContext, flags: StateFlags, value: unknown, text: string): void {
  context.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}
