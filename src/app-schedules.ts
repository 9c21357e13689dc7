import type { DroverApp, DroverState } from "./app.ts";
import type { DroverConfig } from "./config/schema.ts";
import { startRunnerRun } from "./schedules/runner-launch.ts";
import { ScheduleService } from "./schedules/schedule-service.ts";
import { Scheduler } from "./schedules/scheduler.ts";
import { checkTaskModels } from "./supervisor/dispatch-batch.ts";

/** Task defaults of scheduled task files and prompts: the config's model, agent and timeout. */
function taskDefaults(config: DroverConfig) {
  return {
    model: config.model,
    timeoutMs: config.taskTimeout,
    tiers: config.routing.tiers,
    ...(config.agent ? { agent: config.agent } : {}),
  };
}

/**
 * The daemon's schedules: the loop that fires them (started here) and the service its API uses.
 * `baseDir` is where a prompt without a dir runs. `stop()` ends the loop before the app closes.
 */
export function startSchedules(
  app: DroverApp,
  options: { baseDir: string },
): { service: ScheduleService; scheduler: Scheduler; stop(): Promise<void> } {
  const { store, clock, bus, supervisor, engine, runners } = app;
  const launch = {
    taskDefaults: taskDefaults(app.loaded.config),
    baseDir: options.baseDir,
    submit: (input: Parameters<typeof supervisor.submit>[0]) => supervisor.submit(input),
    checkTasks: (specs: Parameters<typeof checkTaskModels>[1], source: string) =>
      checkTaskModels(engine, specs, source, supervisor),
    startRunner: (runner: string, prompt: string) => startRunnerRun({ runners, store }, runner, prompt),
  };
  const scheduler = new Scheduler({ ...launch, store, clock, bus });
  const service = new ScheduleService({ store, clock, launch, onChange: () => scheduler.kick() });
  scheduler.start();
  return { service, scheduler, stop: () => scheduler.stop() };
}

/** Schedules without a daemon (the CLI on the state dir): add, list, pause, resume, remove, history. */
export function scheduleServiceOn(state: DroverState, baseDir: string): ScheduleService {
  const launch = { taskDefaults: taskDefaults(state.loaded.config), baseDir };
  return new ScheduleService({ store: state.store, clock: state.clock, launch });
}
