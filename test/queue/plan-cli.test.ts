import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { droverBin, runDrover } from "../helpers/run-cli.ts";
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

  it("writes all of a big output into a pipe whose reader is slow (nothing cut at 64 KB)", () => {
    const full = execFileSync(process.execPath, [droverBin, "plan", "chain.json", "--json"], {
      cwd: temp.dir,
    });
    // The reader starts late, so the pipe is full when drover is done writing: drover must wait for it.
    const piped = execFileSync(
      "sh",
      ["-c", `"${process.execPath}" "${droverBin}" plan chain.json --json | (sleep 1; cat) | wc -c`],
      { cwd: temp.dir, encoding: "utf8" },
    );
    assert.ok(full.length > 65_536, "the output is bigger than a pipe's buffer");
    assert.equal(Number(piped.trim()), full.length);
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
