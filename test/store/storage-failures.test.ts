import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Clock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { type DroverEvent, EventBus } from "../../src/core/events.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");

/** A clock whose timers fire only when the test advances it. */
function manualClock(start = 1_000) {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return { cancel: () => timers.delete(timer) };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > now) continue;
      timers.delete(timer);
      timer.fn();
    }
  };
  return { clock, advance };
}

/** Starts a process that holds the database's write lock; resolves once it holds it. */
async function holdWriteLock(
  file: string,
  holdMs: number,
): Promise<{ child: ChildProcess; released: Promise<void> }> {
  const child = spawn(process.execPath, [path.join(fixtures, "hold-write-lock.mjs"), file, String(holdMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  let onLocked!: () => void;
  let onReleased!: () => void;
  const locked = new Promise<void>((resolve) => (onLocked = resolve));
  const released = new Promise<void>((resolve) => (onReleased = resolve));
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes("locked")) onLocked();
    if (out.includes("released")) onReleased();
  });
  await locked;
  return { child, released };
}

function runWriter(
  file: string,
  label: string,
  count: number,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(fixtures, "store-writer.ts"), file, label, String(count)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("storage failures", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  let bus: EventBus;
  let published: DroverEvent[];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, "drover.db");
    bus = new EventBus();
    published = [];
    bus.subscribe((event) => published.push(event));
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    temp.cleanup();
  });

  it("waits out another process holding the write lock longer than one busy timeout", async () => {
    const { clock } = manualClock();
    const store = new Store({ file, bus, clock, storage: { busyTimeoutMs: 300, busyTries: 40 } });
    const holder = await holdWriteLock(file, 1_000);
    children.push(holder.child);
    // Blocks (SQLite's busy wait) until the other process commits, instead of throwing SQLITE_BUSY.
    store.recordEvent({ type: "warning", code: "test", message: "written after the lock" });
    assert.equal(store.failure, undefined);
    assert.ok(store.listEvents().some((event) => event.type === "warning"));
    await holder.released;
    store.close();
  });

  it("fails once, naming the state dir and the lock, when the lock outlasts the budget", async () => {
    const { clock } = manualClock();
    const store = new Store({ file, bus, clock, storage: { busyTimeoutMs: 100, busyTries: 2 } });
    const failures: DroverError[] = [];
    store.onFailure((error) => failures.push(error));
    const holder = await holdWriteLock(file, 0);
    children.push(holder.child);
    assert.throws(
      () => store.recordEvent({ type: "warning", code: "test", message: "x" }),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "storage_failed" &&
        error.message.includes(temp.dir) &&
        /locked by another process/.test(error.message),
    );
    // Later writes fail fast with the same error; listeners heard it once; the bus shows it live.
    assert.throws(
      () => store.transitionTask({ batchId: "b", taskId: "t" }, "ready"),
      /locked by another process/,
    );
    assert.equal(failures.length, 1);
    assert.equal(published.filter((event) => event.type === "storage.failed").length, 1);
    // Background loops report without throwing, live only.
    store.reportEvent({ type: "warning", code: "loop", message: "still shown" });
    assert.ok(published.some((event) => event.type === "warning" && event.seq === 0));
    store.close();
  });

  it("takes a background loop's last report after close without throwing, live only", () => {
    const store = new Store({ file, bus, clock: manualClock().clock });
    store.close();
    store.reportEvent({ type: "warning", code: "late", message: "a server's last word" });
    assert.ok(
      published.some((event) => event.type === "warning" && event.code === "late" && event.seq === 0),
    );
  });

  it("lets two processes write one state dir at once without 'database is locked'", async () => {
    // Both open a fresh state dir at once (migrations included), then write as fast as they can.
    const [a, b] = await Promise.all([runWriter(file, "a", 150), runWriter(file, "b", 150)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const store = new Store({ file, bus, clock: manualClock().clock });
    assert.equal(store.listBatches(500).length, 300);
    store.close();
  });

  it("notices its database file deleted under it and stops writing", () => {
    const { clock, advance } = manualClock();
    const store = new Store({ file, bus, clock });
    const failures: DroverError[] = [];
    store.onFailure((error) => failures.push(error));
    store.watchFile(1_000);
    advance(1_000);
    assert.equal(failures.length, 0, "an intact file is not a failure");
    rmSync(file);
    advance(1_000);
    assert.equal(failures.length, 1);
    assert.match(failures[0]?.message ?? "", /drover\.db was deleted while drover was running/);
    assert.throws(() => store.assertWritable(), /was deleted/);
    assert.throws(() => store.recordEvent({ type: "warning", code: "x", message: "y" }), /was deleted/);
    store.close();
  });

  it("notices its database file replaced before a submit", () => {
    const { clock } = manualClock();
    const store = new Store({ file, bus, clock });
    store.assertWritable();
    renameSync(file, `${file}.old`);
    writeFileSync(file, "");
    assert.throws(() => store.assertWritable(), /was replaced by another file/);
    store.close();
  });
});
