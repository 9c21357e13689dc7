import { readFileSync } from "node:fs";
import { freemem } from "node:os";

/** Free memory in MB: the kernel's MemAvailable (what can be used without swapping), else os.freemem(). */
export function readFreeMemoryMb(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (match) return Math.floor(Number(match[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.floor(freemem() / 1024 / 1024);
}
