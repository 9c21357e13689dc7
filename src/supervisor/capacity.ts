import type { CapacitySettings } from "../config/supervisor-settings.ts";

export interface CapacityReading {
  slots: number;
  used: number;
  free: number;
  /** Which limit decided `slots`. */
  /** `fleet`: attempts run on worker hosts, whose reported slots decide. */
  limitedBy: "maxWorkers" | "memory" | "minimum" | "fleet";
  freeMemoryMb: number;
  ramPerWorkerMb: number;
  /** For `fleet`: the hosts and their slots, in one sentence. */
  detail?: string;
}

/** Slots = min(maxWorkers, floor((free RAM − reserve) / RAM per worker)), at least 1. */
export function computeCapacity(
  settings: CapacitySettings,
  input: {
    freeMemoryMb: number;
    running: number;
    /** What one attempt costs on the engine (its `ramPerAttemptMb`), unless the config says otherwise. */
    engineRamMb: number;
  },
): CapacityReading {
  const perWorker = settings.ramPerWorkerMb ?? input.engineRamMb;
  // Running attempts already hold their memory: count it as available to them.
  const budget = input.freeMemoryMb - settings.ramReserveMb + input.running * perWorker;
  const byMemory = Math.floor(budget / perWorker);
  let slots = Math.min(settings.maxWorkers, byMemory);
  let limitedBy: CapacityReading["limitedBy"] = byMemory < settings.maxWorkers ? "memory" : "maxWorkers";
  if (slots < 1) {
    slots = 1;
    limitedBy = "minimum";
  }
  return {
    slots,
    used: input.running,
    free: Math.max(0, slots - input.running),
    limitedBy,
    freeMemoryMb: input.freeMemoryMb,
    ramPerWorkerMb: perWorker,
  };
}

/** Per-key caps: is there room for one more attempt with this dir / provider / model? */
export function fitsCaps(
  settings: CapacitySettings,
  running: readonly { dir: string; model: string }[],
  candidate: { dir: string; model: string },
  providerLimits: ReadonlyMap<string, number>,
): string | undefined {
  if (settings.perDir !== undefined) {
    const inDir = running.filter((r) => r.dir === candidate.dir).length;
    if (inDir >= settings.perDir) return `directory cap ${settings.perDir} reached for ${candidate.dir}`;
  }
  const provider = candidate.model.split("/")[0] as string;
  for (const key of [candidate.model, provider]) {
    const configured = settings.perProvider[key];
    const lowered = providerLimits.get(key);
    const cap =
      configured !== undefined && lowered !== undefined
        ? Math.min(configured, lowered)
        : (configured ?? lowered);
    if (cap === undefined) continue;
    const count = running.filter((r) => r.model === key || r.model.split("/")[0] === key).length;
    if (count >= cap) return `${key === provider ? "provider" : "model"} cap ${cap} reached for ${key}`;
  }
  return undefined;
}
