import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { OpencodeSettings, scriptedModel } from "../../src/config/schema.ts";
import { claimHomeDir } from "../../src/engines/opencode/claim-home-dir.ts";
import { generateOpencodeConfig } from "../../src/engines/opencode/opencode-config.ts";
import { resolveOpencodeBin } from "../../src/engines/opencode/resolve-opencode-bin.ts";
import { ServerPool } from "../../src/engines/opencode/server-pool.ts";
import { type ScriptedModelServer, startScriptedModel } from "../../src/mock-model/server.ts";
import { closedPort } from "../helpers/free-port.ts";
import { isAlive, killIfAlive, processesOwnedBy } from "../helpers/processes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("server homes and records shared by drovers on one state dir", () => {
  let model: ScriptedModelServer;
  before(async () => {
    model = await startScriptedModel();
  });
  after(async () => {
    await model.close();
  });
  const newPool = (root: string) => {
    const settings = OpencodeSettings.parse({ servers: 1 });
    return new ServerPool({
      settings,
      bin: resolveOpencodeBin(undefined),
      root,
      env: process.env,
      config: generateOpencodeConfig({ settings, model: scriptedModel, scriptedBaseURL: model.baseURL }),
      report: () => undefined,
    });
  };

  it("does not take over a home whose claim another drover is still writing", () => {
    const temp = makeTempDir();
    try {
      // Another drover created the claim file and has not written its pid into it yet.
      mkdirSync(path.join(temp.dir, "opencode-1"));
      writeFileSync(path.join(temp.dir, "opencode-1", "drover.pid"), "");
      const claim = claimHomeDir(temp.dir, "opencode-1");
      assert.equal(claim.dir, path.join(temp.dir, "opencode-1-2"));
      claim.release();
    } finally {
      temp.cleanup();
    }
  });

  it("a stopped pool leaves no server record or claim behind for a later start to trust", async () => {
    const temp = makeTempDir();
    const root = path.join(temp.dir, "engines", "opencode");
    try {
      const pool = newPool(root);
      await pool.start();
      assert.equal(existsSync(path.join(root, "opencode-1", "server.json")), true, "recorded while running");
      await pool.stop();
      assert.equal(existsSync(path.join(root, "opencode-1", "server.json")), false, "record cleared");
      assert.equal(existsSync(path.join(root, "opencode-1", "drover.pid")), false, "claim released");
    } finally {
      killIfAlive(processesOwnedBy(root));
      temp.cleanup();
    }
  });

  it("never adopts or signals a recorded pid that now belongs to another process of the state dir", async () => {
    const temp = makeTempDir();
    const root = path.join(temp.dir, "engines", "opencode");
    const home = path.join(root, "opencode-1");
    mkdirSync(home, { recursive: true });
    // A process of a live drover on the same state dir (a server still booting, say) got the pid a
    // stale server.json names.
    const other = spawn("sleep", ["600"], {
      detached: true,
      stdio: "ignore",
      env: { PATH: process.env.PATH ?? "", DROVER_OWNER: root, DROVER_OWNER_PID: String(process.pid) },
    });
    const otherPid = other.pid as number;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      other.once("exit", (_, signal) => resolve(signal)),
    );
    const record = {
      name: "opencode-1",
      dir: home,
      pid: otherPid,
      url: `http://127.0.0.1:${await closedPort()}`,
      password: "stale",
      serverId: "srv_0000000000000000",
    };
    writeFileSync(path.join(home, "server.json"), JSON.stringify([record]));
    const pool = newPool(root);
    try {
      await pool.start();
      assert.notEqual(pool.servers[0]?.process?.pid, otherPid, "a fresh server was started instead");
      assert.equal(isAlive(otherPid), true, "the other process was not signalled");
    } finally {
      await pool.stop();
      killIfAlive([otherPid]);
      await exited;
      killIfAlive(processesOwnedBy(root));
      temp.cleanup();
    }
  });
});
