import { readdirSync, readFileSync } from "node:fs";

/**
 * The variable that names the server a process belongs to. drover sets it on each `opencode serve`
 * it starts; every tool the server runs (and whatever those start) inherits it, even a child that
 * left the server's process group with `setsid` or `( … &)`.
 */
export const serverIdVariable = "DROVER_SERVER_ID";

/** A live process whose environment carries drover's markers: an OpenCode server or anything it started. */
export interface TaggedProcess {
  pid: number;
  pgid: number;
  /** `DROVER_OWNER`: the engine root (`<stateDir>/engines/opencode`) the server was started for. */
  owner: string | undefined;
  /** `DROVER_OWNER_PID`: the drover process that started the server. */
  ownerPid: number | undefined;
  /** `DROVER_SERVER_ID`: the server it belongs to. */
  serverId: string | undefined;
}

/**
 * Every live process (zombies excluded) whose environment carries `DROVER_OWNER` or
 * `DROVER_SERVER_ID`. Reads /proc, so Linux only: elsewhere, and for other users' processes, it
 * finds none.
 */
export function listTaggedProcesses(): TaggedProcess[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: TaggedProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const tagged = readTaggedProcess(Number(entry));
    if (tagged) found.push(tagged);
  }
  return found;
}

/** The markers of one process, or undefined when it is gone, a zombie, unreadable or carries none. */
export function readTaggedProcess(pid: number): TaggedProcess | undefined {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    if (!environ.includes("DROVER_")) return undefined;
    const owner = variable(environ, "DROVER_OWNER");
    const serverId = variable(environ, serverIdVariable);
    if (owner === undefined && serverId === undefined) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const ownerPid = Number(variable(environ, "DROVER_OWNER_PID"));
    return {
      pid,
      pgid: Number(fields[2]),
      owner,
      ownerPid: Number.isInteger(ownerPid) && ownerPid > 0 ? ownerPid : undefined,
      serverId,
    };
  } catch {
    return undefined;
  }
}

function variable(environ: string, name: string): string | undefined {
  const key = `${name}=`;
  let start: number;
  if (environ.startsWith(key)) {
    start = key.length;
  } else {
    const at = environ.indexOf(`\0${key}`);
    if (at === -1) return undefined;
    start = at + 1 + key.length;
  }
  const end = environ.indexOf("\0", start);
  return environ.slice(start, end === -1 ? undefined : end);
}

/**
 * SIGKILLs every live process that belongs to one of `serverIds`, and the process group each one
 * is in (which takes along children that cleared their environment). Looks again after each round,
 * for children forked meanwhile. Synchronous, so the exit hook can use it. Returns the pids killed.
 */
export function killProcessesOfServers(serverIds: ReadonlySet<string>): number[] {
  if (serverIds.size === 0) return [];
  return killUntilNoneLeft(() =>
    listTaggedProcesses().filter((p) => p.serverId !== undefined && serverIds.has(p.serverId)),
  );
}

/** SIGKILLs what `find` returns, and their process groups, until it returns nothing (at most 5 rounds). */
export function killUntilNoneLeft(find: () => TaggedProcess[]): number[] {
  const killed = new Set<number>();
  const ownGroup = processGroupOf(process.pid);
  for (let round = 0; round < 5; round++) {
    const targets = find();
    if (targets.length === 0) break;
    // A group is killed only while one of ours is in it, so its id cannot have been reused.
    for (const pgid of new Set(targets.map((p) => p.pgid))) {
      if (pgid > 1 && pgid !== ownGroup) signal(-pgid, "SIGKILL");
    }
    for (const target of targets) {
      signal(target.pid, "SIGKILL");
      killed.add(target.pid);
    }
  }
  return [...killed];
}

/** Whether `pid` is alive, leads its own process group and belongs to server `serverId`. */
export function isServerLeader(pid: number, serverId: string): boolean {
  const tagged = readTaggedProcess(pid);
  return tagged?.serverId === serverId && tagged.pgid === pid;
}

function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined;
  }
}

function signal(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch {
    // Gone already.
  }
}
