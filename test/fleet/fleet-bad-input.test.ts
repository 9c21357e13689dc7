import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { droverVersion } from "../../src/core/version.ts";
import { fleetKeys, fleetProtocol } from "../../src/fleet/fleet-protocol.ts";
import { parseRedisUrl } from "../../src/fleet/redis-target.ts";
import { closedPort } from "../helpers/free-port.ts";
import { startTestRedis } from "../helpers/redis-server.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("fleet: bad input", () => {
  it("an unreachable --redis is exit 2 naming the URL, for the daemon and for a worker, and nothing starts", async () => {
    const temp = makeTempDir();
    try {
      const url = `redis://127.0.0.1:${await closedPort()}`;
      for (const args of [
        ["daemon", "--port", "0", "--redis", url],
        ["worker", "--redis", url],
      ]) {
        const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
        assert.equal(await run.exited, 2, `${args[0]}: ${run.stderr()}`);
        assert.match(run.stderr(), new RegExp(`cannot reach Redis at ${url.replace(/\./g, "\\.")}`));
      }
    } finally {
      temp.cleanup();
    }
  });

  it("a worker without any Redis is told how to give one", async () => {
    const temp = makeTempDir();
    try {
      const run = runDrover(["worker", "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
      assert.equal(await run.exited, 2);
      assert.match(run.stderr(), /--redis/);
      assert.match(run.stderr(), /queue\.redis/);
    } finally {
      temp.cleanup();
    }
  });

  it("a worker whose drover version differs from the daemon's is refused, naming both versions", async () => {
    const temp = makeTempDir();
    const redis = await startTestRedis(temp.dir);
    try {
      const client = new Redis({ port: redis.port, host: "127.0.0.1" });
      await client.set(
        fleetKeys("drover").daemon,
        JSON.stringify({
          droverVersion: "0.0.1-old",
          opencodeVersion: "1.0.0",
          protocol: fleetProtocol,
          host: "elsewhere",
          pid: 1,
          startedAt: Date.now(),
        }),
      );
      client.disconnect();
      writeFileSync(
        path.join(temp.dir, "drover.json"),
        JSON.stringify({ queue: { redis: `redis://127.0.0.1:${redis.port}` } }),
      );
      const run = runDrover(["worker", "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
      assert.equal(await run.exited, 2, run.stderr());
      assert.match(run.stderr(), /version mismatch/);
      assert.match(run.stderr(), new RegExp(`drover ${droverVersion.replace(/\./g, "\\.")}`));
      assert.match(run.stderr(), /drover 0\.0\.1-old with OpenCode 1\.0\.0/);
    } finally {
      await redis.kill();
      temp.cleanup();
    }
  });

  it("Redis URLs: password hidden in messages, db and TLS read, other schemes refused by name", () => {
    const target = parseRedisUrl("rediss://user:s3cret@redis.example:6380/2");
    assert.deepEqual(
      { ...target },
      {
        host: "redis.example",
        port: 6380,
        username: "user",
        password: "s3cret",
        db: 2,
        tls: true,
        display: "rediss://user:***@redis.example:6380/2",
      },
    );
    assert.equal(parseRedisUrl("redis://127.0.0.1").port, 6379);
    assert.throws(
      () => parseRedisUrl("http://127.0.0.1:6379"),
      /scheme must be redis:\/\/ or rediss:\/\/, not http:/,
    );
    assert.throws(() => parseRedisUrl("redis://h:1/x"), /"x" is not a database number/);
    assert.throws(() => parseRedisUrl("not a url"), /bad Redis URL "not a url": not a URL/);
  });
});
