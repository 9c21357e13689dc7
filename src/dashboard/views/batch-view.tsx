import { getJson, postJson, seg } from "../api.ts";
import type { BatchResults, DroverEvent, TaskResult } from "../api-types.ts";
import { ActionButton, LivenessText, Loaded, StateBadge, TableFrame } from "../components.tsx";
import { formatCost, formatDuration, formatTime } from "../format.ts";
import { useLiveEvents, useNow, useResource } from "../hooks.ts";
import { href } from "../route.ts";
import { TaskActions } from "../task-actions.tsx";

/** One batch: each task's state and, while it runs, its liveness — kept live from the event stream. */
export function BatchView({ batchId }: { batchId: string }) {
  const now = useNow();
  const results = useResource(() => getJson<BatchResults>(`/v1/batches/${seg(batchId)}`), batchId);
  useLiveEvents((event) => {
    if (!("batchId" in event) || event.batchId !== batchId) return;
    const change = applyEvent(event);
    if (change) results.update((data) => ({ ...data, tasks: data.tasks.map(change) }));
    // Progress of a task the page does not show running means the page missed its start (it came
    // between the load and the subscription): load again.
    const stale =
      event.type === "attempt.progress" &&
      results.data?.tasks.some((task) => task.id === event.taskId && task.status !== "running");
    if (event.type !== "attempt.progress" || stale) results.reload();
  });
  return (
    <section>
      <p class="crumbs">
        <a href={href({ view: "batches" })}>Batches</a> /
      </p>
      <h1>
        Batch <code>{batchId}</code>
      </h1>
      <Loaded data={results.data} error={results.error}>
        {(data) => (
          <>
            <BatchHeader data={data} now={now} onChange={results.reload} />
            <TableFrame>
              <table class="tasks">
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>State</th>
                    <th>Doing / why</th>
                    <th class="number">Attempts</th>
                    <th class="number">Tokens in/out</th>
                    <th class="number">Cost</th>
                    <th class="number">Took</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.tasks.map((task) => (
                    <TaskRow
                      key={task.id}
                      batchId={batchId}
                      task={task}
                      now={now}
                      onChange={results.reload}
                    />
                  ))}
                </tbody>
              </table>
            </TableFrame>
          </>
        )}
      </Loaded>
    </section>
  );
}

function BatchHeader(props: { data: BatchResults; now: number; onChange: () => void }) {
  const { batch } = props.data;
  const finished = batch.finishedAt !== undefined;
  const took = finished ? batch.durationMs : props.now - new Date(batch.createdAt).getTime();
  return (
    <div class="summary">
      <span>{batch.source}</span>
      <span>started {formatTime(batch.createdAt)}</span>
      <span>{finished ? `finished in ${formatDuration(took)}` : `running for ${formatDuration(took)}`}</span>
      <span class="counts">
        {Object.entries(batch.counts).map(([state, count]) => (
          <span key={state} class="count">
            <StateBadge state={state} /> {count}
          </span>
        ))}
      </span>
      {finished ? null : (
        <ActionButton
          label="Cancel batch"
          name="cancel-batch"
          kind="danger"
          run={() => postJson(`/v1/batches/${seg(batch.id)}/cancel`)}
          onDone={props.onChange}
        />
      )}
    </div>
  );
}

function TaskRow(props: { batchId: string; task: TaskResult; now: number; onChange: () => void }) {
  const { task } = props;
  const lastAction = task.watchdog?.at(-1);
  const why = task.reason ?? task.outcome?.summary ?? "";
  return (
    <tr data-task-id={task.id} data-status={task.status}>
      <td>
        <a href={href({ view: "task", batchId: props.batchId, taskId: task.id })}>
          <code>{task.id}</code>
        </a>
        {task.title && task.title !== task.id ? <div class="muted wrap">{task.title}</div> : null}
      </td>
      <td>
        <StateBadge state={task.status} />
      </td>
      <td class="wrap doing">
        {task.status === "running" ? (
          <LivenessText liveness={task.liveness} now={props.now} />
        ) : (
          <span class="muted clamp" title={why}>
            {why}
          </span>
        )}
        {lastAction ? (
          <div class="watchdog-note">
            watchdog: {lastAction.state} → {lastAction.remedy}
            {task.watchdog && task.watchdog.length > 1 ? ` (+${task.watchdog.length - 1} earlier)` : ""}
          </div>
        ) : null}
      </td>
      <td class="number">{task.attempts}</td>
      <td class="number">
        {task.tokens.input}/{task.tokens.output}
      </td>
      <td class="number">{formatCost(task.cost)}</td>
      <td class="number">{task.durationMs ? formatDuration(task.durationMs) : ""}</td>
      <td>
        <TaskActions batchId={props.batchId} taskId={task.id} state={task.status} onDone={props.onChange} />
      </td>
    </tr>
  );
}

/** How a live event changes one task's row before the next reload confirms it. */
function applyEvent(event: DroverEvent): ((task: TaskResult) => TaskResult) | undefined {
  if (event.type === "task.state")
    return (task) =>
      task.id !== event.taskId
        ? task
        : {
            ...task,
            status: event.to,
            ...(event.reason ? { reason: event.reason } : {}),
            ...(event.to === "running" ? {} : { liveness: undefined }),
          };
  if (event.type === "attempt.progress")
    return (task) =>
      task.id !== event.taskId || task.status !== "running"
        ? task
        : {
            ...task,
            liveness: {
              state: event.liveness,
              ...(event.since !== undefined ? { since: event.since } : {}),
              ...(event.tool ? { tool: event.tool } : {}),
              ...(event.until !== undefined ? { until: event.until } : {}),
              ...(event.detail ? { detail: event.detail } : {}),
              ...(event.evidence ? { evidence: event.evidence } : {}),
              at: event.ts,
            },
          };
  return undefined;
}
