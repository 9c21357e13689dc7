import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Clock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { EventBus } from "../../src/core/events.ts";
import { MemoryService, memoryLimits } from "../../src/memory/memory-service.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("memory", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let memory: MemoryService;
  let now = 1_000_000;
  const clock: Clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };
  beforeEach(() => {
    temp = makeTempDir();
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus: new EventBus(), clock });
    memory = new MemoryService(store.memories, clock);
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("recalls by relevance (bm25), within the namespace", () => {
    memory.store({
      namespace: "reviewer",
      content: "Use parameterized queries to prevent SQL injection",
      tags: ["security"],
    });
    memory.store({ namespace: "reviewer", content: "The CI pipeline runs on every push" });
    memory.store({ namespace: "reviewer", content: "SQL migrations live in db/migrations" });
    memory.store({ namespace: "other", content: "SQL injection checklist for the other runner" });
    const found = memory.recall({ namespace: "reviewer", query: "how do I avoid SQL injection?" });
    assert.deepEqual(
      found.map((m) => m.content),
      ["Use parameterized queries to prevent SQL injection", "SQL migrations live in db/migrations"],
    );
    assert.ok(found.every((m) => m.namespace === "reviewer"));
    assert.equal(
      memory.recall({ namespace: "reviewer", query: "???" }).length,
      0,
      "no words, no match (and no FTS syntax error)",
    );
    assert.equal(
      memory.recall({ namespace: "reviewer", query: 'sql" OR content:*' }).length,
      2,
      "query text is never FTS syntax",
    );
  });

  it("adds the shared namespace with --shared", () => {
    memory.store({ namespace: "shared", content: "Deploys are frozen on Fridays" });
    assert.equal(memory.recall({ namespace: "reviewer", query: "deploys fridays" }).length, 0);
    assert.equal(memory.recall({ namespace: "reviewer", query: "deploys fridays", shared: true }).length, 1);
  });

  it("deduplicates normalized text", () => {
    const first = memory.store({ namespace: "n", content: "Run the linter before committing." });
    const again = memory.store({ namespace: "n", content: "  run the LINTER before   committing " });
    assert.equal(again.duplicate, true);
    assert.equal(again.id, first.id);
    assert.equal(memory.list("n").length, 1);
    assert.equal(
      memory.store({ namespace: "m", content: "Run the linter before committing." }).duplicate,
      false,
      "per namespace",
    );
  });

  it("refuses secrets with a clear error and stores nothing", () => {
    for (const content of [
      "the key is sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
      "export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP",
      "password: hunter2hunter2",
      "-----BEGIN RSA PRIVATE KEY-----",
    ]) {
      assert.throws(
        () => memory.store({ namespace: "n", content }),
        (error: unknown) =>
          error instanceof DroverError &&
          error.code === "bad_input" &&
          /looks like it contains a secret/.test(error.message),
      );
    }
    assert.equal(memory.list("n").length, 0);
  });

  it("ranks entries that proved useful higher", () => {
    const a = memory.store({ namespace: "n", content: "deploy with make deploy" });
    const b = memory.store({ namespace: "n", content: "deploy with the deploy script in tools" });
    const before = memory.recall({ namespace: "n", query: "deploy" }).map((m) => m.id);
    const lower = before[1] as number;
    memory.feedback(lower, true);
    memory.feedback(lower, true);
    const after = memory.recall({ namespace: "n", query: "deploy" }).map((m) => m.id);
    assert.equal(after[0], lower, "the useful entry comes first now");
    assert.deepEqual(new Set(after), new Set([a.id, b.id]));
    assert.equal(memory.list("n").find((m) => m.id === lower)?.recallCount, 2);
  });

  it("validates namespaces and size, forgets, prunes old entries and lists namespaces", () => {
    assert.throws(() => memory.store({ namespace: "bad name", content: "x" }), /namespace "bad name"/);
    assert.throws(
      () => memory.store({ namespace: "n", content: "x".repeat(memoryLimits.maxContentBytes + 1) }),
      /the limit is/,
    );
    assert.throws(() => memory.store({ namespace: "n", content: "   " }), /empty/);
    const old = memory.store({ namespace: "n", content: "an old fact" });
    now += 40 * 86_400_000;
    memory.store({ namespace: "n", content: "a new fact" });
    assert.equal(memory.prune({ namespace: "n", olderThanDays: 30 }), 1);
    assert.deepEqual(
      memory.list("n").map((m) => m.content),
      ["a new fact"],
    );
    assert.throws(() => memory.forget(old.id), /no memory/);
    assert.deepEqual(
      memory.namespaces().map((n) => [n.namespace, n.count]),
      [["n", 1]],
    );
  });

  it("keeps a namespace within its entry cap by dropping the least useful, oldest entries", () => {
    const saved = memoryLimits.maxEntriesPerNamespace;
    memoryLimits.maxEntriesPerNamespace = 3;
    try {
      const ids = ["one", "two", "three"].map((word) => {
        now += 1000;
        return memory.store({ namespace: "n", content: `fact ${word}` }).id;
      });
      memory.feedback(ids[0] as number, true);
      now += 1000;
      const result = memory.store({ namespace: "n", content: "fact four" });
      assert.equal(result.pruned, 1);
      const left = memory
        .list("n")
        .map((m) => m.content)
        .sort();
      assert.deepEqual(
        left,
        ["fact four", "fact one", "fact three"],
        "the useful old one stays; the least useful oldest goes",
      );
    } finally {
      memoryLimits.maxEntriesPerNamespace = saved;
    }
  });
});
