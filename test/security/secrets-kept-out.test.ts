import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openState } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { DroverError } from "../../src/core/errors.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const awsKey = "AKIAIOSFODNN7EXAMPLE";

describe("secrets kept out of runner prompts and stored events", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let state: ReturnType<typeof openState>;
  beforeEach(() => {
    temp = makeTempDir();
    state = openState({
      loaded: loadConfig({ cwd: temp.dir, env: {}, flags: { stateDir: path.join(temp.dir, "s") } }),
    });
  });
  afterEach(async () => {
    await state.close();
    temp.cleanup();
  });

  it("refuses a runner prompt holding a secret, naming the kind and not the value, before anything is stored", async () => {
    state.runners.create({ name: "rev", dir: temp.dir });
    await assert.rejects(
      () => state.runners.run("rev", `deploy with ${awsKey}`),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "bad_input" &&
        /AWS access key id/.test(error.message) &&
        !error.message.includes(awsKey),
    );
    assert.equal(state.runners.get("rev").activeRun, undefined, "no run was started or locked");
  });

  it("stores warnings and failure reasons with secrets redacted", () => {
    state.store.recordEvent({
      type: "warning",
      code: "provider",
      message: `upstream said: key ${awsKey} is invalid`,
    });
    const stored = state.store.listEvents().find((event) => event.type === "warning");
    assert.ok(stored && stored.type === "warning");
    assert.ok(!stored.message.includes(awsKey), stored.message);
    assert.match(stored.message, /upstream said: key .* is invalid/);
  });
});
