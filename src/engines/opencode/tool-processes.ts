import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { killUntilNoneLeft, listTaggedProcesses, type TaggedProcess } from "./process-table.ts";

/**
 * The processes of one running tool call, found in /proc: they carry their server's
 * `DROVER_SERVER_ID`, are not in the server's own process group (OpenCode starts each command in
 * a new session), work in the task's directory, and run (part of) the command. A background
 * grandchild that outlived its shell (`sleep 9999 &`, holding the output pipe) is found too: it
 * keeps the id and the directory. Linux only; elsewhere nothing is found and only output counts.
 */
export class ToolProcesses {
  readonly #serverId: string;
  readonly #serverGroup: number;
  readonly #dir: string;
  readonly #command: string;
  /** Process groups seen for this call: a group keeps counting after its leader is gone. */
  readonly #groups = new Set<number>();

  constructor(options: { serverId: string; serverPid: number; dir: string; command: string }) {
    this.#serverId = options.serverId;
    this.#serverGroup = options.serverPid;
    this.#dir = path.resolve(options.dir);
    this.#command = options.command;
  }

  /** The call's live processes (remembering their groups). */
  find(): TaggedProcess[] {
    const ofServer = listTaggedProcesses().filter(
      (p) => p.serverId === this.#serverId && p.pgid !== this.#serverGroup,
    );
    for (const p of ofServer) {
      if (this.#groups.has(p.pgid)) continue;
      if (this.#matches(p.pid)) this.#groups.add(p.pgid);
    }
    // Children that made their own group (`timeout`, `setsid`) belong to the call too.
    const parentOf = new Map(ofServer.map((p) => [p.pid, readParent(p.pid)] as const));
    const groupOf = new Map(ofServer.map((p) => [p.pid, p.pgid] as const));
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of ofServer) {
        if (this.#groups.has(p.pgid)) continue;
        const parentGroup = groupOf.get(parentOf.get(p.pid) ?? 0);
        if (parentGroup !== undefined && this.#groups.has(parentGroup)) {
          this.#groups.add(p.pgid);
          grew = true;
        }
      }
    }
    return ofServer.filter((p) => this.#groups.has(p.pgid));
  }

  /** CPU ms used by the call's live processes (and the children they reaped); undefined when none is found. */
  cpuMs(): number | undefined {
    const found = this.find();
    if (found.length === 0) return undefined;
    let ticks = 0;
    for (const p of found) ticks += cpuTicks(p.pid);
    return ticks * 10; // USER_HZ is 100 on Linux
  }

  /** SIGKILLs the call's processes and their groups; returns the pids killed. */
  kill(): number[] {
    return killUntilNoneLeft(() => this.find());
  }

  #matches(pid: number): boolean {
    const cwd = readCwd(pid);
    if (!cwd || !(cwd === this.#dir || cwd.startsWith(`${this.#dir}${path.sep}`))) return false;
    const args = readArgs(pid);
    if (args.length === 0) return false;
    const joined = args.join(" ");
    // `sh -c "<command>"` holds the whole command; a child it started holds a part of it (the
    // shell has taken its quotes off).
    if (joined.includes(this.#command)) return true;
    const program = path.basename(args[0] as string);
    const tail = [program, ...args.slice(1)].join(" ");
    const bare = unquoted(this.#command);
    return [tail, joined].some((text) => this.#command.includes(text) || bare.includes(unquoted(text)));
  }
}

function unquoted(text: string): string {
  return text.replace(/["']/g, "");
}

function readParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function readCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

function readArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** utime + stime + cutime + cstime of one process, in clock ticks (0 when it is gone). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime cutime cstime(14)
    return [11, 12, 13, 14].reduce((sum, index) => sum + (Number(fields[index]) || 0), 0);
  } catch {
    return 0;
  }
}
