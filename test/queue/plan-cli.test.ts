import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** `t0` depends on `t1`, …; with `closed`, the last depends on `t0` (a cycle of n tasks). */
function chainFile(n: number, closed: boolean): string {
  const tasks = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    prompt: `step ${i}`,
    ...(i + 1 < n || closed ? { dependsOn: [`t${(i + 1) % n}`] } : {}),
  }));
  return JSON.stringify({ tasks });
}

describe("drover plan on big task files", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const plan = async (...args: string[]) => {
    const run = runDrover(["plan", ...args], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };
  before(() => {
    temp = makeTempDir();
    writeFileSync(path.join(temp.dir, "chain.json"), chainFile(10_000, false));
    writeFileSync(path.join(temp.dir, "cycle.json"), chainFile(10_000, true));
  });
  after(() => temp.cleanup());

  it("plans a 10,000-task chain, one task per round", async () => {
    const { code, out, err } = await plan("chain.json", "--json", "-c", "4");
    assert.equal(code, 0, err);
    const { rounds } = JSON.parse(out) as { rounds: string[][] };
    assert.equal(rounds.length, 10_000);
    assert.deepEqual([rounds[0], rounds.at(-1)], [["t9999"], ["t0"]]);
  });

  it("refuses a 10,000-task cycle with exit 2, naming the cycle", async () => {
    const { code, out, err } = await plan("cycle.json");
    assert.equal(code, 2, err);
    assert.equal(out, "");
    assert.match(
      err,
      /cycle\.json tasks\[0\]\.dependsOn: dependency cycle of 10000 tasks: t0 → t1 → .* → t9999 → t0/,
    );
  });
});
