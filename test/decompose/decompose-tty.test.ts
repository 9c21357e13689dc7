import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { droverBin } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/**
 * Runs a command in a real pseudo-terminal (util-linux `script`) and answers its questions: each
 * time the screen shows the next `[pattern, answer]`'s pattern, it types the answer.
 */
function runInTerminal(
  command: string,
  options: { cwd: string; env: Record<string, string>; answers: [RegExp, string][] },
): Promise<{ code: number | null; screen: string }> {
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  let seen = 0;
  const answers = [...options.answers];
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
    const next = answers[0];
    if (next?.[0].test(screen.slice(seen))) {
      answers.shift();
      seen = screen.length;
      child.stdin.write(next[1]);
    }
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, screen })));
}

const brief = ["Build a tiny site", "- Write the page", "- Write the style", "- Check both after:1,2"].join(
  "\n",
);

describe("drover decompose on a terminal: show the tree, ask Y/n/edit", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
    writeFileSync(path.join(temp.dir, "brief.txt"), brief);
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(temp.dir, "state", "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, []);
  });
  const command = `node ${droverBin} decompose "$(cat brief.txt)" -o tasks.yaml --state-dir state`;

  it("opens $EDITOR on edit, checks the result, and writes it on yes", { timeout: 120_000 }, async () => {
    const { code, screen } = await runInTerminal(command, {
      cwd: temp.dir,
      // A scripted "editor": renames the first task's title in place.
      env: { EDITOR: "sed -i s/title:\\ Write\\ the\\ page/title:\\ Write\\ the\\ home\\ page/", VISUAL: "" },
      answers: [
        [/Write tasks\.yaml\? \[Y\/n\/edit\]/, "edit\r"],
        [/Write tasks\.yaml\? \[Y\/n\/edit\]/, "y\r"],
      ],
    });
    assert.equal(code, 0, screen);
    assert.match(screen, /t1 composite, 3 subtasks: Build a tiny site/);
    assert.match(screen, /└─ t1\.3 Check both {2}after t1\.1, t1\.2/);
    assert.match(screen, /Edited: 3 task\(s\)\./);
    assert.match(readFileSync(path.join(temp.dir, "tasks.yaml"), "utf8"), /title: Write the home page/);
  });

  it("writes nothing on no, and offers the edit again when the edited file would not load", {
    timeout: 120_000,
  }, async () => {
    const { code, screen } = await runInTerminal(command, {
      cwd: temp.dir,
      env: { EDITOR: "sed -i s/t1\\.1$/t1.3/", VISUAL: "" },
      answers: [
        [/\[Y\/n\/edit\]/, "e\r"],
        [/Edit it again or give up\? \[edit\/n\]/, "n\r"],
      ],
    });
    assert.equal(code, 1, screen);
    assert.match(screen, /The edited file would not load:\s+tasks\[2\]\.id: duplicate id "t1\.3"/);
    assert.match(screen, /nothing written/);
    assert.equal(existsSync(path.join(temp.dir, "tasks.yaml")), false);
  });
});
