import type { OpencodeSettings } from "../../config/schema.ts";
import { errorMessage } from "../../core/errors.ts";
import { zeroTokens } from "../../core/liveness.ts";
import type { AttemptFailure } from "../../core/outcome.ts";
import type { AttemptRequest, AttemptResult, AttemptStop } from "../contract.ts";
import { classifyOpencodeError } from "./classify-error.ts";
import { filePart } from "./file-parts.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import { type SessionEnd, SessionTracker } from "./session-tracker.ts";
import { summarizeTranscript, type TranscriptEntry } from "./transcript.ts";

const abortGraceMs = 10_000;
const quietCheckMs = 15_000;

/**
 * Runs one attempt as a session on one server: create (or continue) the session, send the
 * prompt with `prompt_async`, follow its events to `session.idle`/`session.error`, then read the
 * transcript. Never throws: every fault is a failed result.
 */
export async function runSessionAttempt(
  server: OpencodeServer,
  request: AttemptRequest,
  settings: Pick<OpencodeSettings, "onPermission" | "sessions">,
): Promise<AttemptResult> {
  const client = server.client;
  let sessionId: string;
  let baseline = 0;
  try {
    if (request.sessionId) {
      const existing = await client.session.messages({ sessionID: request.sessionId });
      if (!existing.data)
        return failedBeforeStart("model_error", `session ${request.sessionId} not found on ${server.name}`);
      baseline = existing.data.length;
      sessionId = request.sessionId;
    } else {
      const created = await client.session.create({ directory: request.dir, title: request.title });
      if (!created.data)
        return failedBeforeStart(
          "engine_unavailable",
          `cannot create a session: ${describe(created.error)}`,
          true,
        );
      sessionId = created.data.id;
    }
  } catch (error) {
    return failedBeforeStart(
      "engine_unavailable",
      `cannot reach ${server.name}: ${errorMessage(error)}`,
      true,
    );
  }
  request.onSession(sessionId, server.name);

  const tracker = new SessionTracker({
    report: request.onProgress,
    onPermission: (requestID) => {
      const reply = settings.onPermission;
      void client.permission
        .reply({
          requestID,
          reply,
          ...(reply === "reject"
            ? {
                message:
                  "drover runs this session headless and no one can grant permissions; continue without it.",
              }
            : {}),
        })
        .catch(() => undefined);
    },
  });
  const unlisten = server.listen(sessionId, (event) => {
    if (event.type === "drover.reconnected") void reconcile(server, sessionId, baseline, tracker);
    else tracker.handle(event);
  });
  const onAbort = () => tracker.end({ kind: "stopped", stop: request.signal.reason as AttemptStop });
  request.signal.addEventListener("abort", onAbort, { once: true });
  const watchdog = setInterval(() => {
    if (Date.now() - tracker.lastEventAt > quietCheckMs) void reconcile(server, sessionId, baseline, tracker);
  }, quietCheckMs);
  watchdog.unref();

  let end: SessionEnd;
  try {
    if (request.signal.aborted) onAbort();
    const [providerID, ...rest] = request.model.split("/");
    const sent = await client.session.promptAsync({
      sessionID: sessionId,
      parts: [{ type: "text", text: request.prompt }, ...request.files.map(filePart)],
      model: { providerID: providerID as string, modelID: rest.join("/") },
      ...(request.agent ? { agent: request.agent } : {}),
    });
    if (sent.error)
      tracker.end({
        kind: "error",
        error: { name: "PromptRejected", data: { message: describe(sent.error) } },
      });
    end = await tracker.ended;
    if (end.kind === "stopped") {
      await client.session.abort({ sessionID: sessionId }).catch(() => undefined);
      await Promise.race([tracker.quiet, delay(abortGraceMs)]);
    }
  } catch (error) {
    end = { kind: "lost", reason: errorMessage(error) };
  } finally {
    clearInterval(watchdog);
    request.signal.removeEventListener("abort", onAbort);
    unlisten();
  }

  const result = await collectResult(server, sessionId, baseline, request.dir, end);
  if (settings.sessions === "delete" && end.kind !== "lost") {
    await client.session.abort({ sessionID: sessionId }).catch(() => undefined); // abort before delete
    await client.session.delete({ sessionID: sessionId }).catch(() => undefined);
  }
  return result;
}

async function collectResult(
  server: OpencodeServer,
  sessionId: string,
  baseline: number,
  dir: string,
  end: SessionEnd,
): Promise<AttemptResult> {
  let entries: TranscriptEntry[] = [];
  if (end.kind !== "lost") {
    try {
      const messages = await server.client.session.messages({ sessionID: sessionId });
      entries = (messages.data ?? []).slice(baseline) as TranscriptEntry[];
    } catch {
      // The transcript is best effort once the session has ended.
    }
  }
  const summary = summarizeTranscript(entries, dir);
  const base = {
    sessionId,
    tokens: summary.tokens,
    cost: summary.cost,
    finalText: summary.finalText,
    filesChanged: summary.filesChanged,
  };
  switch (end.kind) {
    case "stopped": {
      const status = end.stop.kind === "timeout" ? "timed_out" : "cancelled";
      return {
        ...base,
        status,
        failure: {
          type: end.stop.kind === "timeout" ? "timeout" : "cancelled",
          message: end.stop.message,
          retryable: end.stop.kind === "timeout",
        },
      };
    }
    case "lost":
      return {
        ...base,
        status: "failed",
        failure: { type: "engine_crashed", message: `${server.name}: ${end.reason}`, retryable: true },
      };
    case "error":
      return { ...base, status: "failed", failure: classifyOpencodeError(end.error) };
    case "idle": {
      if (summary.error) return { ...base, status: "failed", failure: classifyOpencodeError(summary.error) };
      if (entries.every((entry) => entry.info.role !== "assistant")) {
        return {
          ...base,
          status: "failed",
          failure: { type: "no_output", message: "the session went idle without an answer", retryable: true },
        };
      }
      return { ...base, status: "succeeded" };
    }
  }
}

/** After a quiet spell or a reconnect: if the session is no longer busy, end the turn from the transcript. */
async function reconcile(
  server: OpencodeServer,
  sessionId: string,
  baseline: number,
  tracker: SessionTracker,
): Promise<void> {
  try {
    const status = await server.client.session.status();
    const busy = status.data && (status.data as Record<string, unknown>)[sessionId] !== undefined;
    if (busy) return;
    const messages = await server.client.session.messages({ sessionID: sessionId });
    const entries = (messages.data ?? []).slice(baseline);
    const last = entries[entries.length - 1]?.info;
    if (last && last.role === "assistant" && last.time.completed) {
      tracker.end(last.error ? { kind: "error", error: last.error as { name: string } } : { kind: "idle" });
    }
  } catch {
    // The next tick tries again; a dead server is handled by the pool.
  }
}

function failedBeforeStart(type: AttemptFailure["type"], message: string, retryable = false): AttemptResult {
  return {
    status: "failed",
    failure: { type, message, retryable },
    tokens: zeroTokens(),
    cost: 0,
    finalText: "",
    filesChanged: [],
  };
}

function describe(error: unknown): string {
  if (!error) return "unknown error";
  if (typeof error === "object") {
    const e = error as { name?: string; data?: { message?: string }; message?: string };
    return e.data?.message ?? e.message ?? e.name ?? JSON.stringify(error);
  }
  return String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
