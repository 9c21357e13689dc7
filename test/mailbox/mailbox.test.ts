import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Clock } from "../../src/core/clock.ts";
import { DroverError } from "../../src/core/errors.ts";
import { EventBus } from "../../src/core/events.ts";
import { Mailbox, renderMail } from "../../src/mailbox/mailbox.ts";
import { Store } from "../../src/store/store.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("mailbox", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let mailbox: Mailbox;
  let now = 5_000_000;
  const clock: Clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };
  beforeEach(() => {
    temp = makeTempDir();
    store = new Store({ file: path.join(temp.dir, "drover.db"), bus: new EventBus(), clock });
    for (const name of ["coordinator", "reviewer", "writer"]) {
      store.runners.insert({ name, description: "", instructions: "", settings: {} }, now);
    }
    mailbox = new Mailbox({
      table: store.mail,
      clock,
      runnerExists: (name) => store.runners.get(name) !== undefined,
      allRunners: () => store.runners.list().map((r) => r.name),
    });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("delivers a message with its payload into one run, exactly once, and only when the run succeeds", () => {
    const [sent] = mailbox.send({
      to: "reviewer",
      from: "coordinator",
      type: "task_dispatch",
      payload: "Review PR #123 for SQL injection",
      priority: "high",
    });
    const failedRun = mailbox.claimForRun("reviewer", "run_1");
    assert.deepEqual(
      failedRun.map((m) => m.payload),
      ["Review PR #123 for SQL injection"],
    );
    assert.match(
      renderMail(failedRun) ?? "",
      /task_dispatch · high priority · from coordinator\nReview PR #123 for SQL injection/,
    );
    assert.equal(
      mailbox.claimForRun("reviewer", "run_2").length,
      0,
      "a message in delivery is not handed out twice",
    );
    mailbox.settleRun("run_1", false);
    assert.equal(
      mailbox.check({ to: "reviewer", unreadOnly: true }).length,
      1,
      "a failed run leaves it unread",
    );
    const retryRun = mailbox.claimForRun("reviewer", "run_3");
    assert.equal(retryRun[0]?.id, sent?.id);
    assert.equal(mailbox.settleRun("run_3", true), 1);
    assert.equal(mailbox.check({ to: "reviewer", unreadOnly: true }).length, 0);
    assert.equal(mailbox.claimForRun("reviewer", "run_4").length, 0, "delivered once");
    assert.equal(mailbox.read(sent?.id as string).status, "read");
  });

  it("broadcasts to every runner but the sender", () => {
    const sent = mailbox.send({
      to: "all",
      from: "coordinator",
      type: "broadcast",
      payload: "Code freeze at 17:00",
    });
    assert.deepEqual(sent.map((m) => m.to).sort(), ["reviewer", "writer"]);
    assert.equal(mailbox.check({ to: "writer" })[0]?.type, "broadcast");
  });

  it("orders by priority, acks, archives and rejects unknown recipients and secrets", () => {
    mailbox.send({ to: "writer", type: "discovery", payload: "low news", priority: "low" });
    const [urgent] = mailbox.send({ to: "writer", type: "request", payload: "urgent", priority: "high" });
    assert.deepEqual(
      mailbox.check({ to: "writer" }).map((m) => m.payload),
      ["urgent", "low news"],
    );
    mailbox.ack(urgent?.id as string);
    assert.equal(mailbox.check({ to: "writer" })[0]?.status, "acked");
    assert.equal(mailbox.archive({ to: "writer" }), 1);
    assert.throws(() => mailbox.send({ to: "nobody", type: "request", payload: "x" }), /no runner "nobody"/);
    assert.throws(
      () =>
        mailbox.send({
          to: "writer",
          type: "request",
          payload: "use ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        }),
      /secret/,
    );
    assert.throws(() => mailbox.ack("msg_nope"), /no message/);
  });

  it("refuses a sender that is not a runner unless it is marked external", () => {
    assert.throws(
      () => mailbox.send({ to: "writer", from: "reveiwer", type: "request", payload: "typo in the sender" }),
      (error: unknown) =>
        error instanceof DroverError &&
        error.code === "bad_input" &&
        /no runner "reveiwer" \(runners: coordinator, reviewer, writer\).*--external-sender/.test(
          error.message,
        ),
    );
    assert.equal(mailbox.check({ to: "writer" }).length, 0, "nothing was stored");
    const [fromPerson] = mailbox.send({
      to: "writer",
      from: "release-manager",
      externalSender: true,
      type: "request",
      payload: "Please tag v2",
    });
    assert.equal(fromPerson?.from, "release-manager");
    assert.equal(mailbox.send({ to: "writer", from: "reviewer", type: "request", payload: "ok" }).length, 1);
    assert.equal(mailbox.send({ to: "writer", type: "request", payload: "anonymous" }).length, 1);
  });

  it("expires messages after their TTL: never delivered, then pruned", () => {
    mailbox.send({ to: "reviewer", type: "status_report", payload: "stale news", ttlMs: 60_000 });
    now += 61_000;
    assert.equal(mailbox.claimForRun("reviewer", "run_9").length, 0, "expired mail is not delivered");
    assert.equal(mailbox.check({ to: "reviewer" }).length, 0);
    assert.equal(mailbox.check({ to: "reviewer", includeExpired: true }).length, 1);
    assert.deepEqual(mailbox.prune(7), { expired: 1, deleted: 0 });
    now += 8 * 86_400_000;
    assert.deepEqual(mailbox.prune(7), { expired: 0, deleted: 1 });
  });
});
