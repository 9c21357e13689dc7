import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { OpencodeSettings, scriptedModel } from "../../src/config/schema.ts";
import { generateOpencodeConfig } from "../../src/engines/opencode/opencode-config.ts";
import { resolveOpencodeBin } from "../../src/engines/opencode/resolve-opencode-bin.ts";
import { ServerPool } from "../../src/engines/opencode/server-pool.ts";
import { type ScriptedModelServer, startScriptedModel } from "../../src/mock-model/server.ts";
import {
  isAlive,
  killIfAlive,
  processesOwnedBy,
  processesRunning,
  uniqueSleepSeconds,
} from "../helpers/processes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { type PoolHolder, runBashOn, serverRecord, startPoolHolder } from "./fixtures/pool-holder.ts";

describe("OpenCode servers of a drover that crashed or exited abruptly", () => {
  let model: ScriptedModelServer;
  let temp: ReturnType<typeof makeTempDir>;
  let root: string;
  let work: string;
  before(async () => {
    model = await startScriptedModel();
  });
  after(async () => {
    await model.close();
  });

  const newPool = (servers: number) => {
    const settings = OpencodeSettings.parse({ servers });
    return new ServerPool({
      settings,
      bin: resolveOpencodeBin(undefined),
      root,
      env: process.env,
      config: generateOpencodeConfig({ settings, model: scriptedModel, scriptedBaseURL: model.baseURL }),
      report: () => undefined,
    });
  };
  const setUp = () => {
    temp = makeTempDir();
    root = path.join(temp.dir, "state", "engines", "opencode");
    work = path.join(temp.dir, "work");
    mkdirSync(work, { recursive: true });
  };
  /** Every pool holder started, killed in tearDown even when a test fails half-way (else it keeps the run alive). */
  const holders: PoolHolder[] = [];
  const hold = (servers: number) => {
    const holder = startPoolHolder(root, model.baseURL, servers);
    holders.push(holder);
    return holder;
  };
  const tearDown = () => {
    for (const holder of holders.splice(0)) holder.child.kill("SIGKILL");
    const left = processesOwnedBy(root);
    killIfAlive(left);
    temp.cleanup();
    return left;
  };
  const onlyPid = (argv: string[]) => {
    const pids = processesRunning(argv);
    assert.equal(pids.length, 1, `one process runs ${argv.join(" ")}`);
    return pids[0] as number;
  };

  it("a restarted drover keeps the tools of the servers it adopts and reaps those of servers nobody adopts", async () => {
    setUp();
    let left: number[] = [];
    try {
      const crashed = hold(2);
      await crashed.ready;
      const adoptedServer = serverRecord(root, "opencode-1");
      const orphanServer = serverRecord(root, "opencode-2");
      const keptSleep = ["sleep", uniqueSleepSeconds(600)];
      const orphanSleep = ["sleep", uniqueSleepSeconds(600)];
      await runBashOn(adoptedServer, work, keptSleep.join(" "));
      await runBashOn(orphanServer, work, orphanSleep.join(" "));
      await waitFor(
        () => processesRunning(keptSleep).length === 1 && processesRunning(orphanSleep).length === 1,
        60_000,
      );
      const keptTool = onlyPid(keptSleep);
      const orphanTool = onlyPid(orphanSleep);
      crashed.child.kill("SIGKILL");
      await crashed.exited;

      // The restarted drover runs one server: it adopts opencode-1; opencode-2 belongs to nobody.
      const restarted = newPool(1);
      await restarted.start();
      try {
        assert.equal(restarted.servers[0]?.process?.pid, adoptedServer.pid, "opencode-1 was adopted");
        await waitFor(() => !isAlive(orphanTool) && !isAlive(orphanServer.pid), 10_000);
        assert.equal(isAlive(keptTool), true, "the tool of the adopted server still runs");

        // A second drover starting on the same state dir leaves the adopted server and its tool alone.
        const second = newPool(1);
        await second.start();
        await second.stop();
        assert.equal(isAlive(adoptedServer.pid), true, "the adopted server survives another drover's start");
        assert.equal(isAlive(keptTool), true, "its tool too");
      } finally {
        await restarted.stop();
      }
      // Stopping ends what the adopted server started, too.
      await waitFor(() => !isAlive(keptTool), 10_000);
    } finally {
      left = tearDown();
    }
    assert.deepEqual(left, [], "nothing of the state dir is left running");
  });

  it("process.exit (a second Ctrl-C) kills a tool's detached child through the exit hook", async () => {
    setUp();
    let left: number[] = [];
    try {
      const holder = hold(1);
      await holder.ready;
      const escaped = ["sleep", uniqueSleepSeconds(9997)];
      await runBashOn(serverRecord(root, "opencode-1"), work, `(${escaped.join(" ")} > /dev/null 2>&1 &)`);
      await waitFor(() => processesRunning(escaped).length === 1, 60_000);
      const escapedPid = onlyPid(escaped);
      holder.exitAbruptly();
      await holder.exited;
      await waitFor(() => !isAlive(escapedPid), 10_000);
    } finally {
      left = tearDown();
    }
    assert.deepEqual(left, [], "nothing of the state dir is left running");
  });
});
