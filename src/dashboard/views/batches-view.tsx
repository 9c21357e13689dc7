import { getJson } from "../api.ts";
import type { BatchSummary } from "../api-types.ts";
import { Loaded, TableFrame } from "../components.tsx";
import { formatDuration, formatTime } from "../format.ts";
import { useLiveEvents, useNow, useResource } from "../hooks.ts";
import { href } from "../route.ts";

/** Recent batches, newest first; a new or finished batch shows up as it happens. */
export function BatchesView() {
  const now = useNow();
  const batches = useResource(
    () => getJson<{ batches: BatchSummary[] }>("/v1/batches?limit=100").then((body) => body.batches),
    "batches",
  );
  useLiveEvents((event) => {
    if (event.type === "batch.created" || event.type === "batch.finished") batches.reload();
  });
  return (
    <section>
      <h1>Batches</h1>
      <Loaded data={batches.data} error={batches.error}>
        {(list) =>
          list.length === 0 ? (
            <p class="notice">
              No batches yet. Submit one with <code>drover submit tasks.yaml</code> or <code>drover run</code>
              .
            </p>
          ) : (
            <TableFrame>
              <table class="batches">
                <thead>
                  <tr>
                    <th>Batch</th>
                    <th>Source</th>
                    <th>Started</th>
                    <th>State</th>
                    <th>Took</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((batch) => (
                    <tr key={batch.id} data-batch-id={batch.id}>
                      <td>
                        <a href={href({ view: "batch", batchId: batch.id })}>
                          <code>{batch.id}</code>
                        </a>
                      </td>
                      <td class="wrap">{batch.source}</td>
                      <td>{formatTime(batch.createdAt)}</td>
                      <td>
                        {batch.finishedAt ? (
                          <span class="badge state-finished">finished</span>
                        ) : (
                          <span class="badge state-running">running</span>
                        )}
                      </td>
                      <td>{formatDuration((batch.finishedAt ?? now) - batch.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          )
        }
      </Loaded>
    </section>
  );
}
