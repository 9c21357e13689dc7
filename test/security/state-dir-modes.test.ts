import assert from "node:assert/strict";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ensureOwnerOnlyDir } from "../../src/security/owner-only-dir.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const modeOf = (file: string) => (statSync(file).mode & 0o7777).toString(8);

describe("state dir modes", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let previousUmask: number;
  beforeEach(() => {
    temp = makeTempDir();
    // The common default (children inherit it): without explicit modes, folders would come out 0755.
    previousUmask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(previousUmask);
    temp.cleanup();
  });

  it("creates a missing state dir 0700", () => {
    const dir = path.join(temp.dir, "a", ".drover");
    ensureOwnerOnlyDir(dir);
    assert.equal(modeOf(dir), "700");
  });

  it("tightens a state dir an older version created 0755", () => {
    const dir = path.join(temp.dir, ".drover");
    mkdirSync(dir, { mode: 0o755 });
    ensureOwnerOnlyDir(dir);
    assert.equal(modeOf(dir), "700");
  });

  it("leaves a shared sticky folder (like /tmp) as it is", () => {
    const dir = path.join(temp.dir, "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    ensureOwnerOnlyDir(dir);
    assert.equal(modeOf(dir), "1777");
  });

  it("a drover command leaves .drover 0700 and drover.db 0600, tightening an old .drover", async () => {
    const stateDir = path.join(temp.dir, ".drover");
    mkdirSync(stateDir, { mode: 0o755 });
    const run = runDrover(["memory", "list", "--json"], { cwd: temp.dir });
    assert.equal(await run.exited, 0, run.stderr());
    assert.equal(modeOf(stateDir), "700");
    assert.equal(modeOf(path.join(stateDir, "drover.db")), "600");
  });
});
