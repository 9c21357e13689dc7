import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { killUntilNoneLeft, listTaggedProcesses, type TaggedProcess } from "./process-table.ts";

/** What a tool call's processes have used so far; `cpuMs` is undefined when none was found. */
export interface ToolUsage {
  /** CPU ms of the live processes and of the children they reaped. */
  cpuMs: number | undefined;
  /** Bytes they wrote anywhere (the output pipe, files), each byte once; absent when none could be read. */
  wroteBytes?: number;
}

/**
 * The processes of one running tool call, found in /proc: they carry their server's
 * `DROVER_SERVER_ID`, are not in the server's own process group (OpenCode starts each command in
 * a new session), work in the task's directory, and run (part of) the command. A background
 * grandchild that outlived its shell (`sleep 9999 &`, holding the output pipe) is found too: it
 * keeps the id and the directory. Linux only; elsewhere nothing is found and only output counts.
 * What they wrote is read from /proc too, so a command that prints is seen printing even when
 * OpenCode's view of its output does not grow.
 */
export class ToolProcesses {
  readonly #serverId: string;
  readonly #serverGroup: number;
  readonly #dir: string;
  readonly #command: string;
  /** Process groups seen for this call: a group keeps counting after its leader is gone. */
  readonly #groups = new Set<number>();
  readonly #written = new WrittenBytes();

  constructor(options: { serverId: string; serverPid: number; dir: string; command: string }) {
    this.#serverId = options.serverId;
    this.#serverGroup = options.serverPid;
    this.#dir = path.resolve(options.dir);
    this.#command = options.command;
  }

  /** The call's live processes (remembering their groups). */
  find(): TaggedProcess[] {
    return this.#look().map(({ tagged }) => tagged);
  }

  #look(): { tagged: TaggedProcess; parent: number | undefined }[] {
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
    return ofServer
      .filter((p) => this.#groups.has(p.pgid))
      .map((p) => ({ tagged: p, parent: parentOf.get(p.pid) }));
  }

  /** CPU and bytes written by the call's live processes (and the children they reaped), read now. */
  usage(): ToolUsage {
    const found = this.#look();
    if (found.length === 0) return { cpuMs: undefined };
    let ticks = 0;
    const writes: ProcessWrites[] = [];
    for (const { tagged, parent } of found) {
      ticks += cpuTicks(tagged.pid);
      const wchar = readWchar(tagged.pid);
      if (wchar !== undefined) writes.push({ pid: tagged.pid, parent, wchar });
    }
    const cpuMs = ticks * 10; // USER_HZ is 100 on Linux
    return writes.length > 0 ? { cpuMs, wroteBytes: this.#written.count(writes) } : { cpuMs };
  }

  /** CPU ms used by the call's live processes (and the children they reaped); undefined when none is found. */
  cpuMs(): number | undefined {
    return this.usage().cpuMs;
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

/** One process at one look: its parent, and what it (with the children it reaped) wrote so far. */
export interface ProcessWrites {
  pid: number;
  parent: number | undefined;
  /** `wchar` of /proc/<pid>/io: bytes passed to write() and its kin, to pipes, files or sockets. */
  wchar: number;
}

/**
 * The bytes a changing set of processes wrote, each byte counted once, from looks at their
 * `wchar`. A process's `wchar` takes in the children it reaps, so a child seen at the last look
 * and reaped since by a parent still in the set is taken off that parent's growth; bytes that leave
 * the set otherwise (an orphan reaped by init) stay counted. The total grows whenever a process
 * wrote between two looks, except in one corner: a parent that has not reaped its exited child yet
 * can have its own writes hidden for that one look.
 */
export class WrittenBytes {
  #total = 0;
  #last = new Map<number, ProcessWrites>();

  /** Takes a new look; returns the total so far. */
  count(seen: readonly ProcessWrites[]): number {
    const now = new Map(seen.map((p) => [p.pid, p] as const));
    const reaped = new Map<number, number>();
    for (const [pid, before] of this.#last) {
      if (now.has(pid) || before.parent === undefined || !now.has(before.parent)) continue;
      reaped.set(before.parent, (reaped.get(before.parent) ?? 0) + before.wchar);
    }
    for (const p of seen) {
      const grown = Math.max(0, p.wchar - (this.#last.get(p.pid)?.wchar ?? 0));
      this.#total += Math.max(0, grown - (reaped.get(p.pid) ?? 0));
    }
    this.#last = now;
    return this.#total;
  }
}

/** `wchar` of one process; undefined when it is gone or not ours to read (a setuid program). */
function readWchar(pid: number): number | undefined {
  try {
    const match = /^wchar:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
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
