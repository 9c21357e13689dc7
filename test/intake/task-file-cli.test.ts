import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("task files the CLI refuses before starting anything", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
    const code = await run.exited;
    return { code, err: run.stderr() };
  };
  before(() => {
    temp = makeTempDir();
    writeFileSync(path.join(temp.dir, "long.yaml"), "tasks:\n  - {id: a, prompt: x, timeout: 900h}\n");
    const levels = "bcdefghi"
      .split("")
      .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${"abcdefgh"[i]}`)}]`);
    writeFileSync(
      path.join(temp.dir, "bomb.yaml"),
      [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        ...levels,
        "tasks:",
        "  - {id: a, prompt: *i}",
      ].join("\n"),
    );
  });
  after(() => temp.cleanup());

  for (const command of ["plan", "run"]) {
    it(`drover ${command} refuses timeout: 900h with exit 2, naming the field and the 30-day maximum`, async () => {
      const { code, err } = await drover(command, "long.yaml");
      assert.equal(code, 2, err);
      assert.match(
        err,
        /long\.yaml tasks\[0\]\.timeout: "900h" is longer than the maximum duration of 30 days/,
      );
    });

    it(`drover ${command} refuses a YAML alias bomb with exit 2, naming the file`, async () => {
      const { code, err } = await drover(command, "bomb.yaml");
      assert.equal(code, 2, err);
      assert.match(err, /bomb\.yaml: YAML aliases expand too far/);
    });
  }

  it("drover run --timeout 900h is refused with exit 2", async () => {
    const { code, err } = await drover("run", "long.yaml", "--timeout", "900h");
    assert.equal(code, 2, err);
    assert.match(err, /taskTimeout: "900h" is longer than the maximum duration of 30 days/);
  });
});
