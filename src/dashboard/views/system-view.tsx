import { useEffect } from "preact/hooks";
import { getJson } from "../api.ts";
import type { DaemonStatus, FleetHost } from "../api-types.ts";
import { Loaded, StateBadge, TableFrame } from "../components.tsx";
import { ago, formatTime } from "../format.ts";
import { useLiveEvents, useNow, useResource } from "../hooks.ts";

/** Slots and why there are no more, tasks by state, lowered provider limits, and the fleet's hosts. */
export function SystemView() {
  const now = useNow();
  const status = useResource(() => getJson<DaemonStatus>("/v1/status"), "status");
  useLiveEvents((event) => {
    if (event.type === "task.state" || event.type === "fleet.host" || event.type === "supervisor.limit")
      status.reload();
  });
  // Free memory and host beats change without events.
  useEffect(() => {
    const id = window.setInterval(status.reload, 5000);
    return () => window.clearInterval(id);
  }, [status.reload]);
  return (
    <section>
      <h1>Slots and hosts</h1>
      <Loaded data={status.data} error={status.error}>
        {(data) => (
          <>
            <div class="cards">
              <div class="card" data-slots={data.capacity.slots}>
                <div class="card-figure">
                  {data.capacity.used}/{data.capacity.slots}
                </div>
                <div>slots used ({data.capacity.free} free)</div>
              </div>
              <div class="card">
                <div class="card-figure">{data.running}</div>
                <div>running</div>
              </div>
              <div class="card">
                <div class="card-figure">{Math.round(data.capacity.freeMemoryMb)} MB</div>
                <div>free memory ({data.capacity.ramPerWorkerMb} MB per worker)</div>
              </div>
            </div>
            <p>
              Limited by <strong>{data.capacity.limitedBy}</strong>: {data.why}
              {data.nextLaunchAt ? ` · next launch ${formatTime(data.nextLaunchAt)}` : ""}
            </p>
            <h2>Tasks by state</h2>
            <p class="counts">
              {Object.keys(data.byState).length === 0 ? (
                <span class="muted">nothing queued or running</span>
              ) : null}
              {Object.entries(data.byState).map(([state, count]) => (
                <span key={state} class="count">
                  <StateBadge state={state} /> {count}
                </span>
              ))}
            </p>
            {data.providerLimits.length > 0 ? (
              <>
                <h2>Lowered provider limits</h2>
                <ul>
                  {data.providerLimits.map((limit) => (
                    <li key={limit.key}>
                      <code>{limit.key}</code>: {limit.limit} at a time until {formatTime(limit.until)}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            <h2>Hosts</h2>
            {data.fleet ? (
              <FleetHosts redis={data.fleet.redis} hosts={data.fleet.hosts} now={now} />
            ) : (
              <p class="notice">Attempts run on this machine (no fleet: start the daemon with --redis).</p>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function FleetHosts(props: { redis: string; hosts: FleetHost[]; now: number }) {
  if (props.hosts.length === 0)
    return <p class="notice">No worker has joined yet: run drover worker --redis {props.redis}</p>;
  return (
    <TableFrame>
      <table class="hosts">
        <thead>
          <tr>
            <th>Host</th>
            <th>State</th>
            <th class="number">Slots</th>
            <th class="number">Running</th>
            <th class="number">Free memory</th>
            <th>Version</th>
            <th>Last beat</th>
          </tr>
        </thead>
        <tbody>
          {props.hosts.map((host) => (
            <tr key={host.workerId} data-host={host.host}>
              <td>
                {host.host} <span class="muted">{host.workerId}</span>
              </td>
              <td>
                <span class={`badge host-${host.state}`}>{host.state}</span>
                {host.detail ? <div class="muted wrap">{host.detail}</div> : null}
              </td>
              <td class="number">{host.slots}</td>
              <td class="number">{host.running}</td>
              <td class="number">{Math.round(host.freeMemoryMb)} MB</td>
              <td>{host.droverVersion}</td>
              <td>{ago(host.at, props.now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}
