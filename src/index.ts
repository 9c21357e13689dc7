/** drover's library surface. */
export { type CreateAppOptions, createApp, type DroverApp } from "./app.ts";
export { runCli } from "./cli/run-cli.ts";
export { configJsonSchema } from "./config/json-schema.ts";
export { type LoadedConfig, loadConfig } from "./config/load.ts";
export { DroverConfig, scriptedModel } from "./config/schema.ts";
export { DroverError, type ErrorCode, type InputIssue } from "./core/errors.ts";
export { type DroverEvent, DroverEventBody, EventBus } from "./core/events.ts";
export type { TaskSpec } from "./core/task-spec.ts";
export { canTransition, finalStates, TaskState } from "./core/task-states.ts";
export type {
  AttemptProgress,
  AttemptRequest,
  AttemptResult,
  AttemptStop,
  Engine,
} from "./engines/contract.ts";
export { readTaskFile } from "./intake/read-task-file.ts";
export { type ScriptedModelServer, startScriptedModel } from "./mock-model/server.ts";
export type { BatchResults, TaskResult } from "./supervisor/batch-results.ts";
export { dispatchBatch } from "./supervisor/dispatch-batch.ts";
