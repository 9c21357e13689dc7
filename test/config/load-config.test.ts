import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadConfig, readConfigText } from "../../src/config/load.ts";
import { DroverError } from "../../src/core/errors.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("config loading", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("applies defaults when there is no file", () => {
    const { config, stateDir, file } = loadConfig({ cwd: temp.dir, env: {} });
    assert.equal(config.model, "drover/scripted");
    assert.equal(config.capacity.maxWorkers, 8);
    assert.equal(config.strategy, "depth-first");
    assert.equal(config.taskTimeout, 30 * 60_000);
    assert.equal(config.opencode.servers, 1);
    assert.equal(stateDir, path.join(temp.dir, ".drover"));
    assert.equal(file, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.opencode), "config is frozen");
  });

  it("layers defaults < file < env < flags", () => {
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        capacity: { maxWorkers: 2 },
        model: "file/model",
        taskTimeout: "5m",
        opencode: { servers: 2 },
      }),
    );
    const { config } = loadConfig({
      cwd: temp.dir,
      env: { DROVER_CONCURRENCY: "3", DROVER_MODEL: "env/model" },
      flags: { "capacity.maxWorkers": 7 },
    });
    assert.equal(config.capacity.maxWorkers, 7, "flag beats env and file");
    assert.equal(config.model, "env/model", "env beats file");
    assert.equal(config.taskTimeout, 5 * 60_000, "file beats default");
    assert.equal(config.opencode.servers, 2);
  });

  it("passes unknown keys of the opencode block through to OpenCode", () => {
    const provider = {
      myllm: {
        npm: "@ai-sdk/openai-compatible",
        options: { baseURL: "http://127.0.0.1:9999/v1" },
        models: { m: {} },
      },
    };
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ model: "myllm/m", opencode: { provider } }),
    );
    const { config } = loadConfig({ cwd: temp.dir, env: {} });
    assert.deepEqual((config.opencode as Record<string, unknown>).provider, provider);
  });

  it("lists every bad path at once", () => {
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        capacity: { maxWorkers: 0 },
        model: "no-slash",
        taskTimeout: "soon",
        colour: "blue",
        opencode: { servers: "two" },
      }),
    );
    try {
      loadConfig({ cwd: temp.dir, env: {} });
      assert.fail("expected an error");
    } catch (error) {
      assert.ok(error instanceof DroverError);
      assert.equal(error.code, "bad_config");
      const paths = error.issues.map((issue) => issue.path).sort();
      assert.deepEqual(paths, ["", "capacity.maxWorkers", "model", "opencode.servers", "taskTimeout"]);
      assert.match(error.message, /unknown field\(s\): colour/);
      assert.match(error.message, /drover\.json capacity\.maxWorkers/);
    }
  });

  it("refuses an unknown key inside a settings block, naming it (a misspelt option never goes silently unused)", () => {
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        retry: { attempts: 3 },
        capacity: { maxWorker: 2 },
        stagger: { gap: 0 },
        watchdog: { stall: "1m" },
      }),
    );
    assert.throws(
      () => loadConfig({ cwd: temp.dir, env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof DroverError);
        assert.deepEqual(error.issues.map((issue) => issue.path).sort(), [
          "capacity",
          "retry",
          "stagger",
          "watchdog",
        ]);
        for (const key of ["attempts", "maxWorker", "gap", "stall"])
          assert.match(error.message, new RegExp(`unknown field\\(s\\): ${key}`));
        return true;
      },
    );
  });

  it("names the env variable that holds a bad value", () => {
    assert.throws(
      () => loadConfig({ cwd: temp.dir, env: { DROVER_CONCURRENCY: "lots" } }),
      (error: unknown) =>
        error instanceof DroverError && /DROVER_CONCURRENCY capacity\.maxWorkers/.test(error.message),
    );
  });

  it("reports a missing --config file and broken JSON", () => {
    assert.throws(() => loadConfig({ cwd: temp.dir, env: {}, file: "nope.json" }), /file not found/);
    writeFileSync(path.join(temp.dir, "drover.json"), "{ not json");
    assert.throws(() => loadConfig({ cwd: temp.dir, env: {} }), /not valid JSON/);
  });
});

describe("drover.json with comments", () => {
  it("accepts // and block comments and trailing commas, and names the line of a real mistake", () => {
    const ok = readConfigText(
      '{\n  // the model\n  "model": "a/b", /* inline */\n  "capacity": { "maxWorkers": 3, },\n}\n',
    );
    assert.deepEqual("value" in ok && ok.value, { model: "a/b", capacity: { maxWorkers: 3 } });
    const bad = readConfigText('{\n  "model": "a/b"\n  "agent": "plan"\n}\n');
    assert.ok("problem" in bad);
    assert.match(bad.problem, /not valid JSON: CommaExpected/);
    assert.equal(bad.where, "line 3");
  });
});
