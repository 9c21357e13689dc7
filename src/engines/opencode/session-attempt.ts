import type { OpencodeSettings } from "../../config/schema.ts";
import type { WatchdogSettings } from "../../config/watchdog-settings.ts";
import type { Clock } from "../../core/clock.ts";
import { errorMessage } from "../../core/errors.ts";
import type { AttemptRequest, AttemptResult, AttemptStop } from "../contract.ts";
import { AttemptActivity } from "./attempt-activity.ts";
import { AttemptWatch } from "./attempt-watch.ts";
import { filePart } from "./file-parts.ts";
import type { OpencodeServer } from "./opencode-server.ts";
import { readLatestTurn } from "./read-transcript.ts";
import { buildResult, failedBeforeStart, withFailedRequests } from "./session-result.ts";
import { type SessionEnd, SessionTracker } from "./session-tracker.ts";
import type { TranscriptEntry } from "./transcript.ts";

const abortGraceMs = 10_000;
const quietCheckMs = 15_000;

/**
 * Runs one attempt as a session on one server: create (or continue) the session, send the
 * prompt with `prompt_async` (or, in `follow` mode, only follow a session already working), follow
 * its events to `session.idle`/`session.error`, then build the result from the messages seen.
 * Never throws: every fault is a failed result.
 */
export async function runSessionAttempt(
  server: OpencodeServer,
  request: AttemptRequest,
  settings: Pick<OpencodeSettings, "onPermission" | "sessions">,
  watch: { watchdog: WatchdogSettings; clock: Clock; onRestart?: () => string },
): Promise<AttemptResult> {
  const client = server.client;
  const now = () => watch.clock.now();
  const startedAt = request.startedAt ?? now();
  let sessionId: string;
  try {
    if (request.sessionId) {
      const existing = await client.session.get({ sessionID: request.sessionId });
      if (!existing.data)
        return failedBeforeStart(
          "engine_crashed",
          `session ${request.sessionId} is gone from ${server.name}`,
          true,
        );
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

  const activity = new AttemptActivity(now);
  if (request.mode === "follow") activity.assumeRunning();
  let watchdog: AttemptWatch | undefined;
  const tracker = new SessionTracker({
    report: request.onProgress,
    now,
    evidence: () => activity.evidence(),
    ...(request.parkRateLimitAfterMs !== undefined
      ? { parkRateLimitAfterMs: request.parkRateLimitAfterMs }
      : {}),
    ...(request.maxFailedRequests !== undefined ? { maxFailedRequests: request.maxFailedRequests } : {}),
    onPermission: (ask) => watchdog?.permission(ask.id, ask),
  });
  watchdog = new AttemptWatch({
    server,
    sessionId,
    request,
    tracker,
    activity,
    watchdog: watch.watchdog,
    onPermission: settings.onPermission,
    clock: watch.clock,
    ...(watch.onRestart ? { onRestart: watch.onRestart } : {}),
  });
  const check = () => void reconcile(server, sessionId, startedAt, tracker);
  const unlisten = server.listen(sessionId, (event) => {
    if (event.type === "drover.reconnected") return check();
    activity.handle(event);
    watchdog?.stepped();
    tracker.handle(event);
  });
  const onAbort = () => tracker.end({ kind: "stopped", stop: request.signal.reason as AttemptStop });
  request.signal.addEventListener("abort", onAbort, { once: true });
  const quietCheck = setInterval(() => {
    if (now() - tracker.lastEventAt > quietCheckMs) check();
  }, quietCheckMs);
  quietCheck.unref();
  watchdog.start();

  let end: SessionEnd;
  try {
    if (request.signal.aborted) onAbort();
    if (request.mode === "follow") {
      check();
    } else {
      await sendPrompt(client, sessionId, request, request.prompt, request.files).catch((error: unknown) =>
        tracker.end(
          // The server went away under the request (killed, crashed): the engine is lost, not the model.
          serverGone(error)
            ? { kind: "lost", reason: `the OpenCode server went away: ${errorMessage(error)}` }
            : { kind: "error", error: { name: "PromptRejected", data: { message: errorMessage(error) } } },
        ),
      );
    }
    end = await tracker.ended;
    if (
      end.kind === "stopped" ||
      end.kind === "rate_limited" ||
      end.kind === "provider_failed" ||
      end.kind === "watchdog"
    ) {
      await client.session.abort({ sessionID: sessionId }).catch(() => undefined);
      await Promise.race([tracker.quiet, delay(abortGraceMs)]);
    }
  } catch (error) {
    end = { kind: "lost", reason: errorMessage(error) };
  } finally {
    clearInterval(quietCheck);
    watchdog.stop();
    request.signal.removeEventListener("abort", onAbort);
    unlisten();
  }

  // A followed session began before we listened: read its whole turn; else the stream has it all.
  let entries: TranscriptEntry[] = request.mode === "follow" ? [] : tracker.transcript();
  // An error can end the turn before the stream brought the message that carries it: read it back.
  if ((entries.length === 0 || end.kind === "error") && end.kind !== "lost") {
    entries = await readLatestTurn(client, sessionId, startedAt).catch(() => tracker.transcript());
  }
  const result = withFailedRequests(
    buildResult(server.name, sessionId, request, entries, end),
    tracker.failedRequests,
  );
  if (settings.sessions === "delete" && end.kind !== "lost" && end.kind !== "rate_limited") {
    await client.session.abort({ sessionID: sessionId }).catch(() => undefined); // abort before delete
    await client.session.delete({ sessionID: sessionId }).catch(() => undefined);
  }
  return result;
}

/** After a quiet spell or a reconnect: if the session is no longer busy, end the turn from its messages. */
async function reconcile(
  server: OpencodeServer,
  sessionId: string,
  sinceMs: number,
  tracker: SessionTracker,
): Promise<void> {
  try {
    if ((await server.busySessions()).has(sessionId)) return;
    const turn = await readLatestTurn(server.client, sessionId, sinceMs);
    const last = turn.at(-1)?.info;
    if (last && last.role === "assistant" && last.time.completed) {
      tracker.end(last.error ? { kind: "error", error: last.error as { name: string } } : { kind: "idle" });
    } else if (turn.length === 0) {
      // Not busy and nothing since the attempt began: the session never ran (or was aborted).
      tracker.end({ kind: "idle" });
    }
  } catch {
    // The next tick tries again; a dead server is handled by the pool.
  }
}

/** Sends a prompt into the session as the task's prompts go (model, agent, system, report format). */
async function sendPrompt(
  client: OpencodeServer["client"],
  sessionId: string,
  request: AttemptRequest,
  text: string,
  files: readonly string[],
): Promise<void> {
  const [providerID, ...rest] = request.model.split("/");
  const sent = await client.session.promptAsync({
    sessionID: sessionId,
    parts: [{ type: "text", text }, ...files.map(filePart)],
    model: { providerID: providerID as string, modelID: rest.join("/") },
    ...(request.agent ? { agent: request.agent } : {}),
    ...(request.system ? { system: request.system } : {}),
    ...(request.reportSchema
      ? { format: { type: "json_schema" as const, schema: request.reportSchema } }
      : {}),
  });
  if (sent.error) throw new Error(describe(sent.error));
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

/** A request that failed because the server is unreachable (connection refused, reset, closed). */
function serverGone(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return (
    /fetch failed|socket hang up|other side closed/i.test(errorMessage(error)) ||
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET"].includes(cause?.code ?? "")
  );
}
