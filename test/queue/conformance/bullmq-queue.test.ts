import { randomUUID } from "node:crypto";
import { after, before } from "node:test";
import { BullmqQueue } from "../../../src/queue/contract/bullmq-queue.ts";
import { startTestRedis, type TestRedis } from "../../helpers/redis-server.ts";
import { makeTempDir } from "../../helpers/temp-dir.ts";
import { queueConformance } from "./queue-conformance.ts";

// Redis's own clock governs locks here, so the time-driven cases run on short real leases.
const temp = makeTempDir("drover-redis-");
let redis: TestRedis;
before(async () => {
  redis = await startTestRedis(temp.dir);
});
after(async () => {
  await redis.kill();
  temp.cleanup();
});

queueConformance({
  name: "bullmq",
  shortLeaseMs: 1_000,
  async create() {
    const name = `conformance-${randomUUID()}`;
    return {
      open: () =>
        BullmqQueue.open({
          connection: { host: "127.0.0.1", port: redis.port },
          name,
          stalledIntervalMs: 250,
        }),
      now: () => Date.now(),
      letTimePass: () => {},
      restartStore: async () => {
        await redis.kill();
        await redis.start();
      },
      cleanup: async () => {},
    };
  },
});
