import { getJson, seg } from "../api.ts";
import type { DroverEvent, LivenessView, TaskDetail, TaskTranscripts } from "../api-types.ts";
import { LivenessText, Loaded, StateBadge, TableFrame } from "../components.tsx";
import { describeEvent, withoutRepeatedProgress } from "../event-text.ts";
import { evidenceFields, formatCost, formatDuration, formatTime } from "../format.ts";
import { useLiveEvents, useNow, useResource } from "../hooks.ts";
import { href } from "../route.ts";
import { TaskActions } from "../task-actions.tsx";
import { TranscriptView } from "./transcript-view.tsx";

/** One task: its prompt, attempts, what it is doing now and why, its conversation and its events. */
export function TaskView({ batchId, taskId }: { batchId: string; taskId: string }) {
  const now = useNow();
  const base = `/v1/batches/${seg(batchId)}/tasks/${seg(taskId)}`;
  const key = `${batchId}/${taskId}`;
  const detail = useResource(() => getJson<TaskDetail>(base), key);
  const transcripts = useResource(() => getJson<TaskTranscripts>(`${base}/transcripts`), key);
  const events = useResource(
    () =>
      getJson<{ events: DroverEvent[] }>(
        `/v1/events?batch=${seg(batchId)}&task=${seg(taskId)}&limit=5000`,
      ).then((body) => body.events),
    key,
  );
  useLiveEvents((event) => {
    if (!("batchId" in event) || !("taskId" in event) || event.batchId !== batchId || event.taskId !== taskId)
      return;
    events.update((list) => (list.some((known) => known.seq === event.seq) ? list : [...list, event]));
    if (
      event.type === "task.state" ||
      event.type === "attempt.finished" ||
      event.type === "attempt.started"
    ) {
      detail.reload();
      transcripts.reload();
    }
  });
  const refresh = () => {
    detail.reload();
    events.reload();
  };
  return (
    <section>
      <p class="crumbs">
        <a href={href({ view: "batches" })}>Batches</a> /{" "}
        <a href={href({ view: "batch", batchId })}>
          <code>{batchId}</code>
        </a>{" "}
        /
      </p>
      <h1>
        Task <code>{taskId}</code>
      </h1>
      <Loaded data={detail.data} error={detail.error}>
        {(data) => (
          <>
            <div class="summary" data-task-status={data.task.state}>
              <StateBadge state={data.task.state} />
              <span>{data.task.spec.title}</span>
              <span>model {data.task.model}</span>
              <TaskActions batchId={batchId} taskId={taskId} state={data.task.state} onDone={refresh} />
            </div>
            {data.task.stateReason ? <p class="reason">{data.task.stateReason}</p> : null}
            {data.task.state === "running" ? <CurrentLiveness events={events.data ?? []} now={now} /> : null}
            <details class="prompt">
              <summary>Prompt</summary>
              <pre>{data.task.spec.prompt}</pre>
            </details>
            <h2>Attempts</h2>
            <TableFrame>
              <table class="attempts">
                <thead>
                  <tr>
                    <th class="number">#</th>
                    <th>Kind</th>
                    <th>State</th>
                    <th>Started</th>
                    <th class="number">Took</th>
                    <th class="number">Tokens in/out</th>
                    <th class="number">Cost</th>
                    <th>Failure</th>
                  </tr>
                </thead>
                <tbody>
                  {data.attempts.map((attempt) => (
                    <tr key={attempt.id}>
                      <td class="number">{attempt.number}</td>
                      <td>{attempt.kind}</td>
                      <td>
                        <StateBadge state={attempt.status} />
                      </td>
                      <td>{formatTime(attempt.startedAt)}</td>
                      <td class="number">
                        {formatDuration((attempt.finishedAt ?? now) - attempt.startedAt)}
                      </td>
                      <td class="number">
                        {attempt.tokens ? `${attempt.tokens.input}/${attempt.tokens.output}` : ""}
                      </td>
                      <td class="number">{formatCost(attempt.cost)}</td>
                      <td class="wrap">
                        {attempt.failure ? `${attempt.failure.type}: ${attempt.failure.message}` : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          </>
        )}
      </Loaded>
      <h2>Transcript</h2>
      <Loaded data={transcripts.data} error={transcripts.error}>
        {(data) => <TranscriptView attempts={data.attempts} />}
      </Loaded>
      <h2>Events</h2>
      <Loaded data={events.data} error={events.error}>
        {(list) => <EventList events={list} />}
      </Loaded>
    </section>
  );
}

/** The latest liveness report of a running task, with every piece of its evidence. */
function CurrentLiveness({ events, now }: { events: readonly DroverEvent[]; now: number }) {
  const latest = events.findLast((event) => event.type === "attempt.progress");
  if (latest?.type !== "attempt.progress") return null;
  const view: LivenessView = {
    state: latest.liveness,
    ...(latest.since !== undefined ? { since: latest.since } : {}),
    ...(latest.tool ? { tool: latest.tool } : {}),
    ...(latest.until !== undefined ? { until: latest.until } : {}),
    ...(latest.detail ? { detail: latest.detail } : {}),
    ...(latest.evidence ? { evidence: latest.evidence } : {}),
    at: latest.ts,
  };
  return (
    <div class="now-doing">
      <LivenessText liveness={view} now={now} />
      <dl class="evidence-list">
        {evidenceFields(view.evidence, now).map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function EventList({ events }: { events: readonly DroverEvent[] }) {
  const shown = withoutRepeatedProgress(events);
  if (shown.length === 0) return <p class="notice">No events yet.</p>;
  return (
    <ol class="events">
      {shown.map((event) => (
        <li key={event.seq} data-event-type={event.type}>
          <time>{formatTime(event.ts)}</time> <span class="event-type">{event.type}</span>{" "}
          <span class="wrap">{describeEvent(event)}</span>
        </li>
      ))}
    </ol>
  );
}
