import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux). */
const ticksPerSecond = 100;

/** CPU milliseconds per pid of a process tree: its own time plus its reaped children's. */
type TreeCpu = Map<number, number>;

/** A snapshot of the CPU used so far by each role's processes. */
export type CpuSnapshot = Record<string, TreeCpu>;

/** A role's processes: `pids` alone, or (`tree`) with all their descendants. */
export interface CpuRole {
  pids: readonly number[];
  tree?: boolean;
}

/**
 * CPU time per role over a stretch of a run: snapshot the roles' process trees (from /proc) at its
 * start and end, and `cpuSpent` gives each role's milliseconds in between. A child that ran and was
 * reaped in between counts through its parent's `cutime`; one still running at the end counts whole.
 */
export function snapshotCpu(roles: Record<string, CpuRole>): CpuSnapshot {
  const table = processTable();
  return Object.fromEntries(
    Object.entries(roles).map(([role, { pids, tree: descend }]) => {
      const tree: TreeCpu = new Map();
      const stack = [...pids];
      while (stack.length > 0) {
        const pid = stack.pop() as number;
        const entry = table.get(pid);
        if (!entry || tree.has(pid)) continue;
        tree.set(pid, entry.cpuMs);
        if (descend) stack.push(...entry.children);
      }
      return [role, tree];
    }),
  );
}

/** Each role's CPU milliseconds between two snapshots. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([role, tree]) => {
      let total = 0;
      for (const [pid, ms] of tree) total += ms - (before[role]?.get(pid) ?? 0);
      return [role, total];
    }),
  );
}

/** "daemon 1.2 s, worker h1 3.4 s, …, all 9.9 s" */
export function describeCpu(spent: Record<string, number>): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const all = Object.values(spent).reduce((sum, ms) => sum + ms, 0);
  return [...Object.entries(spent).map(([role, ms]) => `${role} ${s(ms)}`), `all ${s(all)}`].join(", ");
}

/** The pids of a process's children (from /proc). */
export function childPids(pid: number): number[] {
  return processTable().get(pid)?.children ?? [];
}

function processTable(): Map<number, { cpuMs: number; children: number[] }> {
  const table = new Map<number, { cpuMs: number; children: number[] }>();
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command (which may hold spaces), from field 3 (state) on.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      table.set(Number(entry), { cpuMs: (ticks * 1000) / ticksPerSecond, children: [] });
      parents.set(Number(entry), ppid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  for (const [pid, ppid] of parents) table.get(ppid)?.children.push(pid);
  return table;
}

/**
 * The roles' CPU over a batch, as `drover run --json` prints it: a snapshot when `batch.created`
 * goes by on its output and another when `batch.finished` does. Feed it the output as it comes.
 */
export class BatchCpu {
  readonly #roles: () => Record<string, CpuRole>;
  #before: CpuSnapshot | undefined;
  #after: CpuSnapshot | undefined;
  #tail = "";

  constructor(roles: () => Record<string, CpuRole>) {
    this.#roles = roles;
  }

  feed(chunk: string): void {
    // A line may be split between chunks: keep the end of the previous one.
    const text = this.#tail + chunk;
    this.#tail = text.slice(-64);
    if (!this.#before && text.includes('"type":"batch.created"')) this.#before = snapshotCpu(this.#roles());
    if (this.#before && !this.#after && text.includes('"type":"batch.finished"'))
      this.#after = snapshotCpu(this.#roles());
  }

  /** Each role's CPU milliseconds over the batch (empty when it did not see both ends). */
  spent(): Record<string, number> {
    return this.#before && this.#after ? cpuSpent(this.#before, this.#after) : {};
  }
}
