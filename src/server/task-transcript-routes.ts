import type { Hono } from "hono";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import type { Store } from "../store/store.ts";
import { readParam } from "./request-input.ts";

const PathId = z.string().min(1).max(200);

/**
 * `GET /v1/batches/:batchId/tasks/:taskId/transcripts`: each finished attempt's stored conversation
 * (what `drover transcript` prints), oldest attempt first. A running attempt has none yet.
 */
export function addTaskTranscriptRoutes(app: Hono, store: Store): void {
  app.get("/v1/batches/:batchId/tasks/:taskId/transcripts", (c) => {
    const key = { batchId: readParam(c, "batchId", PathId), taskId: readParam(c, "taskId", PathId) };
    if (!store.getTask(key)) throw new DroverError("not_found", `no task ${key.batchId}/${key.taskId}`);
    const transcripts = store.listAttemptTranscripts(key);
    const attempts = store
      .listAttempts(key.batchId, key.taskId)
      .filter((attempt) => transcripts.has(attempt.id))
      .map((attempt) => ({
        attemptId: attempt.id,
        number: attempt.number,
        transcript: transcripts.get(attempt.id),
      }));
    return c.json({ attempts });
  });
}
