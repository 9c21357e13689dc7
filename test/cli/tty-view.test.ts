import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { droverBin } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** Runs a command in a real pseudo-terminal (util-linux `script`), 100 columns wide; resolves with all it drew. */
function runInTerminal(command: string, cwd: string): Promise<{ code: number | null; screen: string }> {
  const child = spawn("script", ["-qfec", `stty cols 100 rows 40; ${command}`, "/dev/null"], {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, screen })));
}

const rowPattern = /^[▶·✓✗⊘⏱−] /;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the terminal's escape codes is the point
const plain = (line: string) => line.replace(/\x1b\[\d*[A-Za-z]/g, "").replace(/\r/g, "");

describe("the live view on a terminal (pseudo-terminal)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(temp.dir, "state", "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, []);
  });

  it("shows every task at once, keeps columns aligned for long ids and rate limits, and fits the summary in 100 columns", {
    timeout: 180_000,
  }, async () => {
    const longId = "a-task-with-a-really-long-identifier-for-the-view";
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "tasks:",
        `  - id: ${longId}`,
        '    prompt: "[[bash sleep 1]] [[reply done with a summary that is long enough to need cutting in a narrow table, really]]"',
        "  - id: limited",
        '    prompt: "[[error 429 times=1 retry-after=3]] [[reply ok]]"',
        "  - id: quick",
        '    prompt: "[[reply ok]]"',
        "",
      ].join("\n"),
    );
    const { code, screen } = await runInTerminal(
      `${process.execPath} ${droverBin} run tasks.yaml --state-dir state`,
      temp.dir,
    );
    assert.equal(code, 0, screen);
    const lines = screen.split("\n").map(plain);
    const rows = lines.filter((line) => rowPattern.test(line));
    // Before anything ran (models being checked, servers starting), every task already had its row.
    const firstRunning = rows.findIndex((line) => line.startsWith("▶"));
    assert.ok(firstRunning > 0, "rows were drawn before the first launch");
    const before = rows.slice(0, firstRunning);
    for (const id of ["limited", "quick"])
      assert.ok(
        before.some((line) => line.includes(` ${id} `)),
        id,
      );
    assert.ok(
      before.some((line) => line.includes("a-task-with-a-really-long-ident…")),
      "a long id is cut, not spilled",
    );
    // Alignment: the state column starts at the same place on every row, rate-limit rows included.
    const limitedRows = rows.filter((line) => line.includes("(retry in"));
    assert.ok(limitedRows.length > 0, "the rate-limited task showed when it retries");
    const stateColumn = (line: string) =>
      line.search(/ (queued|waiting|ready|running|succeeded|failed|blocked|retry_wait|parked) /);
    const columns = new Set(rows.map(stateColumn));
    assert.equal(columns.size, 1, `state column at ${[...columns].join(", ")}`);
    const tokenColumns = new Set(
      rows.filter((line) => / tok$/.test(line)).map((line) => line.search(/\S+ tok$/)),
    );
    assert.ok(tokenColumns.size === 1, `token column wanders: ${[...tokenColumns].join(", ")}`);
    assert.ok(
      rows.every((line) => line.length <= 99),
      "no row wraps a 100-column terminal",
    );
    // The summary fits 100 columns.
    const summaryStart = lines.findIndex((line) => line.startsWith("TASK "));
    assert.ok(summaryStart >= 0, "a summary table");
    const summary = lines.slice(summaryStart).filter((line) => line.trim() !== "");
    const wide = summary.filter((line) => line.length > 100 && !line.startsWith("Results: "));
    assert.deepEqual(wide, []);
    // The same duration live (the last frame) and in the summary, for every task.
    for (const id of ["limited", "quick"]) {
      const live = rows
        .filter((line) => line.split(/\s+/)[1] === id)
        .at(-1)
        ?.split(/\s+/);
      const final = summary.find((line) => line.split(/\s+/)[0] === id)?.split(/\s+/);
      assert.equal(live?.[2], "succeeded", `${id} ends succeeded in the live view`);
      assert.equal(live?.[3], final?.[2], `${id}: live ${live?.[3]} vs summary ${final?.[2]}`);
    }
  });
});
