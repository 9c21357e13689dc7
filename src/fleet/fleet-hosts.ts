import type { FleetLink } from "./fleet-link.ts";
import { type HostBeat, hostBeatSchema, versionProblem } from "./fleet-protocol.ts";

/** One worker host as `drover status` shows it. */
export interface FleetHost extends HostBeat {
  /** `up`: heartbeats arrive; `lost`: they stopped (its leases lapse, its tasks run elsewhere); `refused`: other versions. */
  state: "up" | "lost" | "refused";
  /** For `refused`: which versions differ. */
  detail?: string;
}

/** The versions this daemon runs, to check each host's beat against. */
export interface FleetVersions {
  droverVersion: string;
  opencodeVersion: string;
  protocol: number;
}

/**
 * Every host that ever beat into this fleet: alive while its expiring key exists, else lost.
 * Hosts that said goodbye (`drover worker` stopped) are not listed.
 */
export async function readFleetHosts(link: FleetLink, versions: FleetVersions): Promise<FleetHost[]> {
  const { keys, redis } = link;
  const ids = (await redis.smembers(keys.hosts)).sort();
  if (ids.length === 0) return [];
  const [live, last] = await Promise.all([
    redis.mget(ids.map((id) => keys.host(id))),
    redis.hmget(keys.lastBeat, ...ids),
  ]);
  const hosts: FleetHost[] = [];
  ids.forEach((_id, index) => {
    const beat = parseBeat(live[index] ?? null) ?? parseBeat(last[index] ?? null);
    if (!beat) return;
    const problem = versionProblem(beat, versions);
    const state = live[index] ? (problem ? "refused" : "up") : "lost";
    hosts.push({ ...beat, state, ...(problem && state === "refused" ? { detail: problem } : {}) });
  });
  return hosts;
}

/** The sentence `drover status` gives for the fleet's capacity. */
export function describeFleetCapacity(hosts: readonly FleetHost[]): { slots: number; why: string } {
  const up = hosts.filter((host) => host.state === "up");
  const slots = up.reduce((sum, host) => sum + host.slots, 0);
  if (up.length === 0)
    return { slots: 0, why: "fleet: no worker is up; start one with `drover worker --redis URL`" };
  return {
    slots,
    why: `fleet: ${up.length} worker${up.length === 1 ? "" : "s"} up (${up.map((host) => `${host.host} ${host.slots}`).join(", ")} slots)`,
  };
}

function parseBeat(text: string | null): HostBeat | undefined {
  if (!text) return undefined;
  try {
    const parsed = hostBeatSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
