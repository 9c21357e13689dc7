import { Redis } from "ioredis";
import { BullmqQueue } from "../queue/contract/bullmq-queue.ts";
import type { Queue } from "../queue/contract/queue-contract.ts";
import {
  type FleetKeys,
  fleetKeys,
  fleetRecordTtlSeconds,
  type ParsedWorkerMessage,
  type WorkerMessage,
  workerMessageSchema,
} from "./fleet-protocol.ts";
import { type RedisTarget, redisOptions } from "./redis-target.ts";

/** How many messages the event stream keeps (approximately) for readers that fell behind. */
const streamLength = 50_000;

/**
 * One side's connection to the fleet: a command connection for messages, heartbeats and results,
 * and the BullMQ queues it opens (each with its own connections). Every command waits through a
 * Redis restart (ioredis reconnects); nothing here fails fast on a lost connection.
 */
export class FleetLink {
  readonly keys: FleetKeys;
  readonly redis: Redis;
  readonly #target: RedisTarget;
  readonly #onWarning: (error: unknown) => void;
  readonly #queues = new Map<string, Promise<BullmqQueue>>();
  #reader: Redis | undefined;
  #closed = false;

  constructor(target: RedisTarget, name: string, onWarning: (error: unknown) => void) {
    this.#target = target;
    this.#onWarning = onWarning;
    this.keys = fleetKeys(name);
    this.redis = new Redis(redisOptions(target));
    this.redis.on("error", onWarning);
  }

  get target(): RedisTarget {
    return this.#target;
  }

  /** The BullMQ queue `name`, opened once. */
  queue(name: string): Promise<Queue> {
    let queue = this.#queues.get(name);
    if (!queue) {
      const { retryStrategy, ...connection } = redisOptions(this.#target);
      queue = BullmqQueue.open({
        connection: { ...connection, ...(retryStrategy ? { retryStrategy } : {}) },
        name,
        onWarning: this.#onWarning,
      });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Appends a worker message to the fleet's event stream. */
  async publish(message: WorkerMessage): Promise<void> {
    await this.redis.xadd(this.keys.events, "MAXLEN", "~", streamLength, "*", "m", JSON.stringify(message));
  }

  /** Keeps an attempt's result for a daemon that may be down now, then announces it. */
  async publishResult(message: Extract<WorkerMessage, { type: "result" }>): Promise<void> {
    await this.redis.set(
      this.keys.result(message.attemptId),
      JSON.stringify(message),
      "EX",
      fleetRecordTtlSeconds,
    );
    await this.publish(message);
  }

  /** An attempt's kept result, if its worker finished it. */
  async readResult(attemptId: string): Promise<Extract<ParsedWorkerMessage, { type: "result" }> | undefined> {
    const text = await this.redis.get(this.keys.result(attemptId));
    if (!text) return undefined;
    const parsed = workerMessageSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.type === "result" ? parsed.data : undefined;
  }

  /**
   * Reads the event stream from now on, calling `onMessage` for each valid message, until `close`.
   * A reconnect resumes after the last message read; a bad message is a warning and skipped.
   */
  async follow(onMessage: (message: ParsedWorkerMessage) => void): Promise<void> {
    const reader = new Redis(redisOptions(this.#target));
    reader.on("error", this.#onWarning);
    this.#reader = reader;
    const newest = await reader.xrevrange(this.keys.events, "+", "-", "COUNT", 1);
    let lastId = newest[0]?.[0] ?? "0-0";
    void (async () => {
      while (!this.#closed) {
        try {
          const batch = await reader.xread("COUNT", 200, "BLOCK", 1_000, "STREAMS", this.keys.events, lastId);
          for (const [, entries] of batch ?? []) {
            for (const [id, fields] of entries) {
              lastId = id;
              const parsed = parseMessage(fields);
              if (parsed.ok) onMessage(parsed.message);
              else this.#onWarning(new Error(`fleet: skipped a bad message ${id}: ${parsed.why}`));
            }
          }
        } catch (error) {
          if (!this.#closed) this.#onWarning(error);
        }
      }
    })();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const queues = await Promise.allSettled(this.#queues.values());
    await Promise.allSettled(
      queues.flatMap((queue) => (queue.status === "fulfilled" ? [queue.value.close()] : [])),
    );
    this.#reader?.disconnect();
    this.redis.disconnect();
  }
}

function parseMessage(
  fields: string[],
): { ok: true; message: ParsedWorkerMessage } | { ok: false; why: string } {
  const at = fields.indexOf("m");
  const text = at >= 0 ? fields[at + 1] : undefined;
  if (text === undefined) return { ok: false, why: "no `m` field" };
  try {
    const parsed = workerMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? { ok: true, message: parsed.data } : { ok: false, why: parsed.error.message };
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
}
