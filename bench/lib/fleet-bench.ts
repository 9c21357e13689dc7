import { describeCpu } from "./cpu-time.ts";
import { runDroverCli } from "./drover-cli.ts";
import { runFleet } from "./fleet.ts";
import { describeHops } from "./hop-times.ts";
import { log, type Row, round } from "./rows.ts";
import { benchPrompt, createBenchEnv } from "./setup.ts";

const hosts = (process.env.BENCH_FLEET_HOSTS ?? "h1,h2").split(",").filter(Boolean);

/**
 * The same tool tasks at the same total concurrency, run by one embedded `drover run` and by a
 * fleet on this machine (redis-server, `drover daemon --redis`, a `drover worker` per host).
 */
export async function fleetRows(tasks: number, concurrency: number): Promise<Row[]> {
  const env = await createBenchEnv("fleet");
  try {
    const perHost = Math.max(1, Math.round(concurrency / hosts.length));
    const total = perHost * hosts.length;
    const prompts = Array.from({ length: tasks }, (_, i) => benchPrompt("tool", i));
    // The same number of OpenCode servers as the fleet has hosts: on one machine, a second server
    // costs CPU by itself (see the pool-size rows); what is left between the two is the queue's.
    const servers = hosts.length;
    log(`fleet: embedded drover run, ${tasks} tool tasks, ${total} at once, ${servers} OpenCode server(s)`);
    const embedded = await runDroverCli(env, "fleet-embedded", prompts, { concurrency: total, servers });
    log(`fleet: daemon --redis and ${hosts.length} workers × ${perHost}, ${tasks} tool tasks`);
    const fleet = await runFleet(env, "fleet", prompts, { hosts, perHost });
    log(`fleet: embedded hops: ${describeHops(embedded.hops)}`);
    log(`fleet: fleet hops:    ${describeHops(fleet.hops)}`);
    log(`fleet: embedded CPU over the batch: ${describeCpu(embedded.cpu)}`);
    log(`fleet: fleet CPU over the batch:    ${describeCpu(fleet.cpu)}`);
    const s = (ms: number) => round(ms / 1000);
    const rate = (ms: number) => round(tasks / (ms / 1000), 2);
    const row = (metric: string, drover: number, unit: string, note?: string): Row => ({
      name: "fleet",
      metric,
      drover,
      naive: null,
      raw: null,
      unit,
      ...(note ? { note } : {}),
    });
    const spread = hosts.map((host) => `${host} ${fleet.byHost[host] ?? 0}`).join(", ");
    return [
      row(
        "wall, embedded",
        s(embedded.batchMs),
        "s",
        `one \`drover run\` process, maxWorkers ${total}, ${servers} OpenCode server(s); end-to-end incl. starting OpenCode ${s(embedded.wallMs)} s; failures ${embedded.failed}`,
      ),
      row("tasks/s, embedded", rate(embedded.batchMs), "tasks/s"),
      row(
        `wall, fleet ${hosts.length}×${perHost}`,
        s(fleet.batchMs),
        "s",
        `daemon --redis + ${hosts.length} workers, ${perHost} slots each; \`drover run\` handed to the daemon, start to exit ${s(fleet.wallMs)} s; fleet start-up ${s(fleet.startMs)} s; failures ${fleet.failed}`,
      ),
      row(`tasks/s, fleet ${hosts.length}×${perHost}`, rate(fleet.batchMs), "tasks/s"),
      row(
        "settled → next launch, embedded",
        round(embedded.hops.settleToNextLaunch),
        "ms",
        describeHops(embedded.hops),
      ),
      row(
        `settled → next launch, fleet ${hosts.length}×${perHost}`,
        round(fleet.hops.settleToNextLaunch),
        "ms",
        describeHops(fleet.hops),
      ),
      ...hosts.map((host) =>
        row(`attempts on ${host}`, fleet.byHost[host] ?? 0, "attempts", `claimed per host: ${spread}`),
      ),
    ];
  } finally {
    await env.close();
  }
}
