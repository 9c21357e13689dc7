import type { OpencodeServer } from "./opencode-server.ts";

/**
 * The least-loaded server that is up, preferring any but `avoid` (the server the watchdog restarted
 * an attempt away from); `avoid` itself only when no other is up.
 */
export function pickServer<S extends Pick<OpencodeServer, "name" | "lost" | "load">>(
  servers: readonly (S | undefined)[],
  avoid?: string,
): S | undefined {
  let best: S | undefined;
  let avoided: S | undefined;
  for (const server of servers) {
    if (!server || server.lost) continue;
    if (server.name === avoid) avoided = server;
    else if (!best || server.load < best.load) best = server;
  }
  return best ?? avoided;
}
