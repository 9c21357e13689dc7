import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstToSucceed } from "../../src/engines/opencode/first-to-succeed.ts";

describe("a pool is ready with its first server (firstToSucceed)", () => {
  it("resolves as soon as one start succeeds, while the others are still booting", async () => {
    let finishSlow!: () => void;
    const slow = new Promise<void>((resolve) => (finishSlow = resolve));
    const result = await firstToSucceed([slow, Promise.resolve("up")]);
    assert.deepEqual(result, { ok: true });
    finishSlow();
  });

  it("a failed start does not count while another may still succeed", async () => {
    const result = await firstToSucceed([Promise.reject(new Error("port")), Promise.resolve("up")]);
    assert.deepEqual(result, { ok: true });
  });

  it("fails with the first error only when every start failed", async () => {
    const first = new Error("first");
    const result = await firstToSucceed([Promise.reject(first), Promise.reject(new Error("second"))]);
    assert.deepEqual(result, { ok: false, error: first });
  });
});
