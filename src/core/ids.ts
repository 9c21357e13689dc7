import { randomBytes } from "node:crypto";

let lastTime = 0;
let counter = 0;

/**
 * Prefixed, time-sortable ids (`bat_…`, `att_…`), like OpenCode's `ses_…`: 12 hex digits of
 * milliseconds, a 4-hex in-millisecond counter, then random hex.
 */
export function newId(prefix: "bat" | "att" | "evt" | "run" | "msg" | "inb"): string {
  const now = Date.now();
  counter = now === lastTime ? counter + 1 : 0;
  lastTime = now;
  const time = now.toString(16).padStart(12, "0");
  const seq = counter.toString(16).padStart(4, "0");
  return `${prefix}_${time}${seq}${randomBytes(5).toString("hex")}`;
}
