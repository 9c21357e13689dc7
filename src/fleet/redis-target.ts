import { Redis, type RedisOptions } from "ioredis";
import { DroverError } from "../core/errors.ts";

/** Where the fleet's Redis is, parsed from a `redis://` or `rediss://` URL. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** The URL with any password replaced by `***`, for messages and status. */
  display: string;
}

/** Parses a Redis URL; a malformed one is bad input naming the URL. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw redisUrlError(url, "not a URL");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw redisUrlError(url, `the scheme must be redis:// or rediss://, not ${parsed.protocol}//`);
  if (!parsed.hostname) throw redisUrlError(url, "no host");
  const db = parsed.pathname && parsed.pathname !== "/" ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw redisUrlError(url, `"${parsed.pathname.slice(1)}" is not a database number`);
  const display = new URL(parsed.href);
  if (display.password) display.password = "***";
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db,
    tls: parsed.protocol === "rediss:",
    display: display.href.replace(/\/$/, ""),
  };
}

/** ioredis options for long-lived fleet connections: commands wait through reconnects, never fail fast. */
export function redisOptions(target: RedisTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
}

/**
 * Checks once that Redis answers PING within `timeoutMs`; otherwise a `queue_unreachable` error
 * naming the URL (the CLI exits 2 and nothing is submitted).
 */
export async function checkRedisReachable(target: RedisTarget, timeoutMs = 3_000): Promise<void> {
  const probe = new Redis({
    ...redisOptions(target),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new DroverError(
      "queue_unreachable",
      `cannot reach Redis at ${target.display} (${cause}); start redis-server there, or fix --redis / queue.redis`,
    );
  } finally {
    probe.disconnect();
  }
}

function redisUrlError(url: string, why: string): DroverError {
  return new DroverError("bad_config", `bad Redis URL "${url.replace(/:[^:@/]*@/, ":***@")}": ${why}`);
}
