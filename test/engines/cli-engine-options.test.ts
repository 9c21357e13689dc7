import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { codexDialect } from "../../src/engines/codex/codex-dialect.ts";
import type { AttemptRequest } from "../../src/engines/contract.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// A task's options for the CLI engines: Claude Code's permission mode, allowed and disallowed tools
// and turn limit (the real binary against the scripted model), Codex's sandbox mode (its arguments).

describe("claude: and codex: options on a task", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let results: { tasks: { id: string; status: string; reason?: string; attempts: number }[] };
  before(async () => {
    temp = makeTempDir();
    writeFileSync(
      path.join(temp.dir, "tasks.yaml"),
      [
        "defaults: { engine: claude }",
        "tasks:",
        '  - { id: turns, claude: { maxTurns: 1 }, prompt: "[[bash echo one]] [[bash echo two]] [[reply done]]" }',
        '  - { id: denied, claude: { permissionMode: dontAsk, allowedTools: [Read] }, prompt: "[[bash touch denied.txt]] [[reply done]]" }',
        '  - { id: allowed, claude: { permissionMode: dontAsk, allowedTools: [Bash] }, prompt: "[[bash touch allowed.txt]] [[reply done]]" }',
        '  - { id: blocked, claude: { disallowedTools: [Bash] }, prompt: "[[bash touch disallowed.txt]] [[reply done]]" }',
      ].join("\n"),
    );
    const run = runDrover(["run", "tasks.yaml", "-c", "4", "--json", "--state-dir", "state"], {
      cwd: temp.dir,
    });
    assert.equal(await run.exited, 1, run.stderr());
    results = JSON.parse(readFileSync(path.join(temp.dir, "results.json"), "utf8"));
  });
  after(() => temp.cleanup());

  it("stops at maxTurns without retrying, saying so", () => {
    const turns = results.tasks.find((task) => task.id === "turns");
    assert.equal(turns?.status, "failed");
    assert.equal(turns?.attempts, 1);
    assert.match(turns?.reason ?? "", /claude\.maxTurns limit/);
  });

  it("runs only the tools the permission mode and tool lists allow", () => {
    assert.equal(existsSync(path.join(temp.dir, "denied.txt")), false, "Bash is not among allowedTools");
    assert.equal(existsSync(path.join(temp.dir, "disallowed.txt")), false, "Bash is disallowed");
    assert.equal(existsSync(path.join(temp.dir, "allowed.txt")), true, "Bash is allowed");
  });

  it("gives Codex the task's sandbox mode, else drover's sandbox alone", () => {
    const target = { baseURL: "http://127.0.0.1:1", key: "k", model: "gpt-5", free: true };
    const request = { prompt: "p", codex: { sandbox: "workspace-write" } } as AttemptRequest;
    const args = codexDialect.args(request, target, { home: temp.dir });
    assert.deepEqual(args.slice(args.indexOf("--sandbox"), args.indexOf("--sandbox") + 2), [
      "--sandbox",
      "workspace-write",
    ]);
    assert.ok(!args.includes("--dangerously-bypass-approvals-and-sandbox"));
    const plain = codexDialect.args({ prompt: "p" } as AttemptRequest, target, { home: temp.dir });
    assert.ok(plain.includes("--dangerously-bypass-approvals-and-sandbox"));
    assert.ok(!plain.includes("--sandbox"));
  });
});
