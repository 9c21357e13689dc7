import type { Liveness, TokenCounts, WatchdogEvidence } from "../core/liveness.ts";
import type { TaskState } from "../core/task-states.ts";

// The daemon's answers as the page reads them (the server validates with zod and owns the shapes;
// these are the fields the dashboard shows).

export type { DroverEvent, DroverEventType } from "../core/events.ts";
export type { Liveness, TaskState, TokenCounts, WatchdogEvidence };

/** `GET /v1/batches` → `{batches}`. */
export interface BatchSummary {
  id: string;
  source: string;
  owner?: string;
  strategy?: string;
  createdAt: number;
  finishedAt?: number;
}

export interface LivenessView {
  state: Liveness;
  since?: number;
  tool?: string;
  until?: number;
  detail?: string;
  evidence?: WatchdogEvidence;
  at: number;
}

export interface WatchdogActionView {
  state: string;
  remedy: string;
  message: string;
  at: number;
}

/** One task of `GET /v1/batches/:id` (the `results.json` shape). */
export interface TaskResult {
  id: string;
  title: string;
  status: TaskState;
  reason?: string;
  outcome?: { outcome: string; summary?: string; reason?: string };
  sessionId?: string;
  attempts: number;
  tokens: TokenCounts;
  cost: number;
  durationMs: number;
  filesChanged: string[];
  liveness?: LivenessView;
  watchdog?: WatchdogActionView[];
}

export interface BatchResults {
  batch: {
    id: string;
    source: string;
    createdAt: string;
    finishedAt?: string;
    durationMs: number;
    counts: Record<string, number>;
    ok: boolean;
  };
  tasks: TaskResult[];
}

export interface AttemptRecord {
  id: string;
  number: number;
  kind: string;
  prompt?: string;
  engine: string;
  server?: string;
  sessionId?: string;
  status: string;
  failure?: { type: string; message: string };
  tokens?: TokenCounts;
  cost: number;
  finalText?: string;
  filesChanged: string[];
  startedAt: number;
  finishedAt?: number;
}

/** `GET /v1/batches/:b/tasks/:t`. */
export interface TaskDetail {
  task: {
    id: string;
    batchId: string;
    state: TaskState;
    stateReason?: string;
    spec: { title: string; prompt: string; dir: string; model?: string; agent?: string };
    model: string;
    createdAt: number;
    finishedAt?: number;
  };
  attempts: AttemptRecord[];
}

export interface TranscriptMessage {
  role: "user" | "assistant";
  at?: number;
  text: string;
  tools: { tool: string; input: string; status: string; output?: string }[];
  error?: string;
}

/** `GET /v1/batches/:b/tasks/:t/transcripts`. */
export interface TaskTranscripts {
  attempts: {
    attemptId: string;
    number: number;
    transcript: { messages: TranscriptMessage[]; omittedMessages: number; truncated: boolean };
  }[];
}

export type InboxKind = "permission" | "blocked" | "failed" | "handoff" | "watchdog" | "thrashing";
export type InboxState = "open" | "approved" | "denied" | "dismissed" | "resolved";
export type InboxAction = "approve" | "deny" | "dismiss" | "retry" | "cancel";

/** One item of `GET /v1/inbox`. */
export interface InboxItem {
  id: string;
  kind: InboxKind;
  state: InboxState;
  batchId?: string;
  taskId?: string;
  title: string;
  detail?: string;
  createdAt: number | string;
  answeredAt?: number;
  answeredBy?: string;
}

export interface FleetHost {
  workerId: string;
  host: string;
  state: "up" | "lost" | "refused";
  slots: number;
  running: number;
  freeMemoryMb: number;
  droverVersion: string;
  at: number;
  detail?: string;
}

/** `GET /v1/status`. */
export interface DaemonStatus {
  owner: string;
  capacity: {
    slots: number;
    used: number;
    free: number;
    limitedBy: string;
    freeMemoryMb: number;
    ramPerWorkerMb: number;
    detail?: string;
  };
  running: number;
  byState: Record<string, number>;
  providerLimits: { key: string; limit: number; until: number }[];
  nextLaunchAt?: number;
  why: string;
  fleet?: { redis: string; name: string; hosts: FleetHost[] };
}
