import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";

/** What drover remembers of the servers it runs, so a restarted drover can adopt them. */
export const ServerRecord = z.object({
  name: z.string(),
  dir: z.string(),
  pid: z.number().int(),
  url: z.string(),
  password: z.string(),
});
export type ServerRecord = z.infer<typeof ServerRecord>;

/** Reads the registry; a missing or damaged file is an empty one. */
export function readServerRegistry(file: string): ServerRecord[] {
  try {
    return z.array(ServerRecord).parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return [];
  }
}

/** Writes the registry readable by the owner only: it holds the servers' passwords. */
export function writeServerRegistry(file: string, records: readonly ServerRecord[]): void {
  if (records.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeFileSync(file, JSON.stringify(records, null, 2), { mode: 0o600 });
}

/** Whether `pid` is a live process started by drover for this state dir. */
export function isOwnedServer(pid: number, owner: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").includes(`DROVER_OWNER=${owner}\0`);
  } catch {
    return false;
  }
}
