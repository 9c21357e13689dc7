import assert from "node:assert/strict";
import { chmodSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type Db, openDatabase } from "../../src/store/database.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const modeOf = (file: string) => statSync(file).mode & 0o777;
const companions = (file: string) => [file, `${file}-wal`, `${file}-shm`];

describe("database file modes", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let previousUmask: number;
  const open: Db[] = [];
  beforeEach(() => {
    temp = makeTempDir();
    // The common default: without explicit modes, files would come out 0644 and folders 0755.
    previousUmask = process.umask(0o022);
  });
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
    process.umask(previousUmask);
    temp.cleanup();
  });

  it("creates drover.db, its -wal and -shm owner-only (0600), and a missing folder 0700", () => {
    const file = path.join(temp.dir, "state", "drover.db");
    open.push(openDatabase(file));
    assert.equal(modeOf(path.dirname(file)).toString(8), "700");
    for (const name of companions(file)) assert.equal(modeOf(name).toString(8), "600", name);
  });

  it("tightens database files an older version left readable by others", () => {
    const file = path.join(temp.dir, "drover.db");
    // A first connection keeps -wal and -shm in place, as a running or crashed older drover would.
    open.push(openDatabase(file));
    for (const name of companions(file)) chmodSync(name, 0o644);
    open.push(openDatabase(file));
    for (const name of companions(file)) assert.equal(modeOf(name).toString(8), "600", name);
  });

  it("leaves the mode of an existing folder it did not create to the caller", () => {
    chmodSync(temp.dir, 0o755);
    open.push(openDatabase(path.join(temp.dir, "drover.db")));
    assert.equal(modeOf(temp.dir).toString(8), "755");
  });
});
