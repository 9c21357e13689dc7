import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactSecretsIn } from "../../src/security/redact-value.ts";

describe("redactSecretsIn", () => {
  it("redacts secrets in every string of an event-like body, keeping keys and other values", () => {
    const body = {
      type: "attempt.failed",
      taskId: "deploy",
      tokens: { input: 10, output: 5 },
      failure: {
        type: "model_error",
        message: "401 from provider: key sk-proj-abcdefghijklmnopqrstuvwx rejected",
      },
      evidence: ["ran git push https://bot:hunter2hunter2@git.example.com/x", "ok"],
      retryable: false,
    };
    assert.deepEqual(redactSecretsIn(body), {
      ...body,
      failure: { type: "model_error", message: "401 from provider: key [redacted] rejected" },
      evidence: ["ran git push https://bot:[redacted]@git.example.com/x", "ok"],
    });
    assert.equal(body.failure.message.includes("sk-proj-"), true, "the input is not modified");
  });

  it("returns the same object when there is nothing to redact", () => {
    const body = { type: "task.started", taskId: "t1", nested: { list: ["a", 1, null] } };
    assert.equal(redactSecretsIn(body), body);
  });
});
