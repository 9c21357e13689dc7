import { z } from "zod";
import { DroverEventBody } from "../core/events.ts";
import { Liveness, TokenCounts, WatchdogEvidence } from "../core/liveness.ts";
import { AttemptFailure } from "../core/outcome.ts";
import { ClaudeOptions, CodexOptions, SandboxProfile } from "../core/task-spec.ts";
import type { AttemptResult } from "../engines/contract.ts";

// What daemon and workers say to each other through Redis. Every message is parsed with these
// schemas on arrival (zod at every edge); the protocol number must match on both sides.

export const fleetProtocol = 1;

/** One attempt as a BullMQ job carries it (the queue's opaque payload). */
export const fleetAttemptSchema = z.object({
  protocol: z.literal(fleetProtocol),
  engine: z.string().min(1),
  batchId: z.string().min(1),
  taskId: z.string().min(1),
  attemptId: z.string().min(1),
  prompt: z.string(),
  taskPrompt: z.string().optional(),
  title: z.string(),
  dir: z.string().min(1),
  model: z.string().min(1),
  agent: z.string().optional(),
  system: z.string().optional(),
  files: z.array(z.string()),
  /** A continuation: the session to continue, on `server` of the worker whose own queue holds the job. */
  sessionId: z.string().optional(),
  server: z.string().optional(),
  startedAt: z.number(),
  reportSchema: z.record(z.string(), z.unknown()).optional(),
  parkRateLimitAfterMs: z.number().optional(),
  maxFailedRequests: z.number().optional(),
  sandbox: SandboxProfile.optional(),
  claude: ClaudeOptions.optional(),
  codex: CodexOptions.optional(),
  repo: z.string().optional(),
});
export type FleetAttempt = z.infer<typeof fleetAttemptSchema>;

const attemptResultSchema = z
  .object({
    status: z.enum(["succeeded", "failed", "timed_out", "cancelled"]),
    sessionId: z.string().optional(),
    failure: AttemptFailure.optional(),
    tokens: TokenCounts,
    cost: z.number(),
    finalText: z.string(),
    filesChanged: z.array(z.string()),
    report: z.unknown().optional(),
    rateLimitedUntil: z.number().optional(),
    failedRequests: z.number().optional(),
    continueNote: z.string().optional(),
    server: z.string().optional(),
    transcript: z.unknown().optional(),
  })
  .transform((result) => result as AttemptResult);

const attemptRef = { batchId: z.string(), taskId: z.string(), attemptId: z.string() };

/** A worker's message to the daemon, on the fleet's event stream. */
export const workerMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("session"),
    ...attemptRef,
    sessionId: z.string(),
    /** The resume handle: `workerId|server`, opaque outside the fleet. */
    handle: z.string(),
  }),
  z.object({
    type: z.literal("progress"),
    ...attemptRef,
    progress: z.object({
      liveness: Liveness,
      tool: z.string().optional(),
      until: z.number().optional(),
      detail: z.string().optional(),
      tokens: TokenCounts,
      since: z.number().optional(),
      evidence: WatchdogEvidence.optional(),
    }),
  }),
  z.object({ type: z.literal("result"), ...attemptRef, result: attemptResultSchema }),
  z.object({ type: z.literal("event"), event: DroverEventBody }),
]);
export type WorkerMessage = z.input<typeof workerMessageSchema>;
export type ParsedWorkerMessage = z.output<typeof workerMessageSchema>;

/** What a worker publishes every heartbeat (its key expires when heartbeats stop). */
export const hostBeatSchema = z.object({
  workerId: z.string(),
  host: z.string(),
  pid: z.number(),
  slots: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  freeMemoryMb: z.number(),
  droverVersion: z.string(),
  opencodeVersion: z.string(),
  protocol: z.number(),
  startedAt: z.number(),
  at: z.number(),
});
export type HostBeat = z.infer<typeof hostBeatSchema>;

/** What the daemon publishes once at start, for workers to check versions against. */
export const daemonInfoSchema = z.object({
  droverVersion: z.string(),
  opencodeVersion: z.string(),
  protocol: z.number(),
  host: z.string(),
  pid: z.number(),
  startedAt: z.number(),
});
export type FleetDaemonInfo = z.infer<typeof daemonInfoSchema>;

/** Redis key names and BullMQ queue names of one fleet (`queue.name`). */
export function fleetKeys(name: string) {
  const prefix = `drover:fleet:${name}`;
  return {
    events: `${prefix}:events`,
    result: (attemptId: string) => `${prefix}:result:${attemptId}`,
    session: (attemptId: string) => `${prefix}:session:${attemptId}`,
    host: (workerId: string) => `${prefix}:host:${workerId}`,
    hosts: `${prefix}:hosts`,
    lastBeat: `${prefix}:lastbeat`,
    daemon: `${prefix}:daemon`,
    /** Fresh attempts: any worker may claim them. */
    sharedQueue: `${name}-tasks`,
    /** Continuations: only the worker holding the session claims them. */
    workerQueue: (workerId: string) => `${name}-w-${workerId}`,
  };
}
export type FleetKeys = ReturnType<typeof fleetKeys>;

/** The queue key of one attempt: one job per attempt, so a retry never collides with a stale job. */
export const jobKeyOf = (attempt: { batchId: string; attemptId: string }) => ({
  batchId: attempt.batchId,
  taskId: attempt.attemptId,
});

/** Resume handles are `workerId|server`; undefined for a handle made elsewhere. */
export function parseHandle(handle: string | undefined): { workerId: string; server: string } | undefined {
  if (!handle) return undefined;
  const at = handle.indexOf("|");
  if (at <= 0) return undefined;
  return { workerId: handle.slice(0, at), server: handle.slice(at + 1) };
}

/** How long results and session notes stay in Redis for a daemon that was down to collect. */
export const fleetRecordTtlSeconds = 7 * 24 * 3600;

/** Versions must match across the fleet; the message names both sides. */
export function versionProblem(
  worker: { droverVersion: string; opencodeVersion: string; protocol: number },
  daemon: { droverVersion: string; opencodeVersion: string; protocol: number },
): string | undefined {
  if (
    worker.droverVersion === daemon.droverVersion &&
    worker.opencodeVersion === daemon.opencodeVersion &&
    worker.protocol === daemon.protocol
  )
    return undefined;
  return `version mismatch: this worker runs drover ${worker.droverVersion} with OpenCode ${worker.opencodeVersion}, the daemon drover ${daemon.droverVersion} with OpenCode ${daemon.opencodeVersion}; install the same versions on every host`;
}
