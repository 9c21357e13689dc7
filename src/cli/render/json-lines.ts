import type { DroverEvent } from "../../core/events.ts";

/** Writes each event as one JSON line (the machine-readable progress format). */
export function jsonLinesWriter(write: (line: string) => void): (event: DroverEvent) => void {
  return (event) => write(`${JSON.stringify(event)}\n`);
}
