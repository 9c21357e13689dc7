import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/load.ts";
import { systemClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { attemptCost, costOfTokens } from "../../src/spend/prices.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");

const tokens = (input: number, output: number) => ({
  input,
  output,
  reasoning: 0,
  cacheRead: 0,
  cacheWrite: 0,
});
const place = (taskId: string, extra: { runner?: string; day?: string } = {}) => ({
  batchId: "bat_1",
  taskId,
  day: extra.day ?? "2026-12-04",
  ...(extra.runner ? { runner: extra.runner } : {}),
});

/** A racer process: resolves `ready` once its store is open; `go()` starts it; `granted` is its count. */
function racer(file: string, label: string, count: number, cap: number) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(fixtures, "spend-reserver.ts"), file, label, String(count), String(cap)],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes("ready")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const granted = new Promise<number>((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(Number(/granted (\d+)/.exec(out)?.[1])) : reject(new Error(err)),
    ),
  );
  return { ready, go: () => child.stdin.write("go\n"), granted };
}

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

describe("the spend ledger (real SQLite)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  beforeEach(() => {
    temp = makeTempDir();
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus: new EventBus(), clock: systemClock });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("prices tokens per million, output and reasoning at the output price, cache at its own or the input price", () => {
    const price = { input: 3, output: 15, cacheRead: 0.3 };
    near(costOfTokens(tokens(1_000_000, 0), price), 3);
    near(costOfTokens({ ...tokens(0, 1000), reasoning: 1000 }, price), 0.03);
    near(costOfTokens({ ...tokens(0, 0), cacheRead: 1_000_000, cacheWrite: 1_000_000 }, price), 3.3);
    assert.equal(
      attemptCost(0.5, tokens(1_000_000, 0), "anthropic/claude-sonnet-4-5", {}),
      0.5,
      "reported cost wins",
    );
    assert.equal(attemptCost(0, tokens(1_000_000, 0), "anthropic/claude-sonnet-4-5", {}), 3, "default price");
    assert.equal(
      attemptCost(0, tokens(1_000_000, 0), "p/unknown", { "p/unknown": { input: 2, output: 2 } }),
      2,
    );
    assert.equal(attemptCost(0, tokens(1_000_000, 0), "p/unpriced", {}), 0);
  });

  it("reserves within every cap and names the cap a reservation would pass", () => {
    const reserve = (id: string, amount: number, caps: object, extra = {}) =>
      store.spend.reserve({ ...place(id, extra), attemptId: `att_${id}`, model: "p/m", amount }, caps);
    assert.equal(reserve("a", 0.4, { batch: 1 }), undefined);
    assert.equal(reserve("b", 0.4, { batch: 1 }), undefined);
    assert.deepEqual(reserve("c", 0.4, { batch: 1 }), { scope: "batch", cap: 1, spent: 0.8, wanted: 0.4 });
    // Settling lower than reserved frees the difference.
    store.spend.settle("att_a", 0.1);
    assert.equal(reserve("c", 0.4, { batch: 1 }), undefined);
    assert.equal(reserve("d", 0.5, { task: 0.4 })?.scope, "task");
    assert.equal(reserve("e", 0.3, { runner: 0.5 }, { runner: "nightly" }), undefined);
    assert.equal(reserve("f", 0.3, { runner: 0.5 }, { runner: "nightly" })?.scope, "runner");
    assert.equal(reserve("g", 0.3, { runner: 0.5 }, { runner: "other" }), undefined);
    assert.equal(reserve("h", 0.1, { day: 1.5 })?.scope, "day");
    assert.equal(reserve("i", 0.1, { day: 1.5 }, { day: "2026-12-05" }), undefined, "a new day");
    const byModel = store.spend.report("model");
    assert.equal(byModel.length, 1);
    near(byModel[0]?.spent ?? 0, 1.6);
    assert.equal(
      store.spend
        .report("runner")
        .map((row) => row.key)
        .join(","),
      "nightly,other",
    );
  });

  it("checks a running attempt by what it has spent, in place of its own reservation", () => {
    store.spend.reserve({ ...place("a"), attemptId: "att_a", model: "p/m", amount: 0.5 }, {});
    store.spend.reserve({ ...place("b"), attemptId: "att_b", model: "p/m", amount: 0.2 }, {});
    assert.equal(
      store.spend.passedWhileRunning({ ...place("a"), attemptId: "att_a" }, 0.7, { batch: 1 }),
      undefined,
    );
    assert.deepEqual(
      store.spend.passedWhileRunning({ ...place("a"), attemptId: "att_a" }, 0.9, { batch: 1 }),
      {
        scope: "batch",
        cap: 1,
        spent: 0.2,
        wanted: 0.9,
      },
    );
    store.spend.settle("att_a", 0.3);
    assert.equal(store.spend.meanCost("p/m"), 0.3);
  });

  it("settles what a dead drover left reserved: a reservation whose attempt never started costs nothing", () => {
    store.spend.reserve({ ...place("a"), attemptId: "att_never", model: "p/m", amount: 0.4 }, {});
    assert.equal(store.spend.settleClosed(60_000), 0, "a fresh reservation may still be launching");
    assert.equal(store.spend.settleClosed(-1_000), 1);
    const [row] = store.spend.report("task");
    assert.equal(row?.spent, 0);
    assert.equal(row?.reserved, 0);
  });

  it("never lets two processes reserving at once pass the cap together", async () => {
    const file = path.join(temp.dir, "drover.db");
    const racers = [racer(file, "x", 60, 0.5), racer(file, "y", 60, 0.5)];
    await Promise.all(racers.map((one) => one.ready));
    for (const one of racers) one.go();
    const [first = 0, second = 0] = await Promise.all(racers.map((one) => one.granted));
    assert.equal(first + second, 50, `granted ${first} + ${second}`);
    const total = store.spend.report("batch").find((row) => row.key === "bat_shared");
    assert.ok(total && total.spent <= 0.5 + 1e-9, `reserved ${total?.spent}`);
  });

  it("refuses a price that is not a number and a budget below zero, naming the paths", () => {
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ prices: { "p/m": { input: "cheap", output: 1 } }, budget: { day: -1 } }),
    );
    assert.throws(
      () => loadConfig({ cwd: temp.dir, env: {} }),
      (error: Error & { issues?: { path: string; message: string }[] }) => {
        const paths = (error.issues ?? []).map((issue) => `${issue.path}: ${issue.message}`);
        assert.ok(
          paths.some((p) => /^prices\.p\/m\.input: `input` must be a number/.test(p)),
          paths.join("; "),
        );
        assert.ok(
          paths.some((p) => /^budget\.day: `day` must not be below zero/.test(p)),
          paths.join("; "),
        );
        return true;
      },
    );
  });
});
