import { existsSync } from "node:fs";
import path from "node:path";

/** How to look at an attempt's OpenCode session yourself. */
export interface SessionHint {
  sessionId: string;
  server?: string;
  /** The OpenCode database that holds the session, when found under the state dir. */
  database?: string;
  /** Opens the session in OpenCode's terminal UI. */
  open: string;
  /** Prints the session (messages and parts) as JSON. */
  export: string;
}

/**
 * Each drover-run OpenCode server keeps its sessions in its own database under
 * `STATE/engines/opencode/<server>[-N]/home/.local/share/opencode/`; `OPENCODE_DB` points
 * OpenCode at it, so the session can be opened after drover and its servers have stopped.
 */
export function sessionHint(options: {
  stateDir: string;
  sessionId: string;
  server?: string;
  dir: string;
  opencodeBin: string;
}): SessionHint {
  const database = options.server ? findSessionDatabase(options.stateDir, options.server) : undefined;
  const env = database ? `OPENCODE_DB=${quote(database)} ` : "";
  const bin = quote(options.opencodeBin);
  return {
    sessionId: options.sessionId,
    ...(options.server ? { server: options.server } : {}),
    ...(database ? { database } : {}),
    open: `${env}${bin} ${quote(options.dir)} --session ${options.sessionId}`,
    export: `${env}${bin} export ${options.sessionId}`,
  };
}

function findSessionDatabase(stateDir: string, server: string): string | undefined {
  for (let n = 1; n < 100; n++) {
    const home = path.join(stateDir, "engines", "opencode", n === 1 ? server : `${server}-${n}`);
    if (!existsSync(home)) return undefined;
    const database = path.join(home, "home", ".local", "share", "opencode", "opencode.db");
    if (existsSync(database)) return path.resolve(database);
  }
  return undefined;
}

function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
