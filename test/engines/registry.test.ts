import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { DroverError } from "../../src/core/errors.ts";
import type { Engine } from "../../src/engines/contract.ts";
import { EngineRegistry } from "../../src/engines/registry.ts";
import { readTaskDocument } from "../../src/intake/read-task-file.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const opencode = { name: "opencode-server", ramPerAttemptMb: 40 } as Engine;

describe("engines by name: the registry and the task's `engine` field", () => {
  it("gives the default engine to a task that names none, and the named one otherwise", () => {
    const registry = new EngineRegistry(new Map([["opencode", opencode]]), "opencode");
    assert.equal(registry.get(undefined), opencode);
    assert.equal(registry.get("opencode"), opencode);
    assert.equal(registry.default.ramPerAttemptMb, 40, "the engine carries its own RAM per attempt");
    assert.deepEqual(registry.names(), ["opencode"]);
    assert.throws(
      () => registry.get("codex" as never),
      (error: unknown) =>
        error instanceof DroverError && /unknown engine "codex" \(engines: opencode\)/.test(error.message),
    );
  });

  it("accepts `engine: opencode` in a task file and refuses an engine drover does not have, naming the field", () => {
    const temp = makeTempDir();
    try {
      const file = path.join(temp.dir, "tasks.yaml");
      writeFileSync(file, "tasks:\n  - id: a\n    prompt: hi\n    engine: opencode\n");
      assert.equal(
        readTaskDocument(file, { model: "drover/scripted", timeoutMs: 1000 }).specs[0]?.engine,
        "opencode",
      );
      writeFileSync(file, "defaults:\n  engine: claude-code\ntasks:\n  - id: a\n    prompt: hi\n");
      assert.throws(
        () => readTaskDocument(file, { model: "drover/scripted", timeoutMs: 1000 }),
        (error: unknown) =>
          error instanceof DroverError &&
          error.issues.some(
            (issue) =>
              issue.path === "defaults.engine" && /`engine` must be one of: "opencode"/.test(issue.message),
          ),
      );
    } finally {
      temp.cleanup();
    }
  });
});
