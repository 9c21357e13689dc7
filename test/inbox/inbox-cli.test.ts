import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { InboxService } from "../../src/inbox/inbox-service.ts";
import { Store } from "../../src/store/store.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// `drover inbox` on a state dir (no daemon): list, answer, and the bad input of an answer twice.

describe("drover inbox (CLI)", () => {
  const temp = makeTempDir();
  const stateDir = path.join(temp.dir, "state");
  let askId = "";
  let blockedId = "";
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };

  before(() => {
    mkdirSync(stateDir, { recursive: true });
    const store = new Store({
      file: path.join(stateDir, "drover.db"),
      bus: new EventBus(),
      clock: systemClock,
    });
    const inbox = new InboxService(store, systemClock);
    blockedId = inbox.add({
      kind: "blocked",
      batchId: "bat_x",
      taskId: "deploy",
      title: "bat_x/deploy is blocked",
      detail: "needs a deploy key",
    }).id;
    askId = inbox.add({
      kind: "permission",
      batchId: "bat_x",
      taskId: "fix",
      title: "bat_x/fix asks for permission: external_directory",
      detail: "/srv/*",
    }).id;
    store.close();
  });
  after(() => temp.cleanup());

  it("lists what needs a person, newest first (text and --json)", async () => {
    const listed = await drover("inbox");
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.split("\n");
    assert.ok(
      lines.findIndex((l) => l.includes(askId)) < lines.findIndex((l) => l.includes(blockedId)),
      "newest first",
    );
    assert.match(listed.stdout, /blocked\s+bat_x\/deploy.*needs a deploy key/);
    const json = JSON.parse((await drover("inbox", "--json")).stdout) as { items: { id: string }[] };
    assert.deepEqual(
      json.items.map((i) => i.id),
      [askId, blockedId],
    );
  });

  it("approves once; a second answer, or an unknown id, is exit 1 and changes nothing", async () => {
    const approved = await drover("inbox", "approve", askId);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved/);
    const again = await drover("inbox", "deny", askId);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already answered \(approved by cli\): nothing changed/);
    const unknown = await drover("inbox", "approve", "inb_nope");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no inbox item inb_nope/);
    const wrongKind = await drover("inbox", "approve", blockedId);
    assert.equal(wrongKind.code, 2);
    const all = JSON.parse((await drover("inbox", "--all", "--json")).stdout) as {
      items: { id: string; state: string }[];
    };
    assert.equal(all.items.find((i) => i.id === askId)?.state, "approved");
    assert.equal(all.items.find((i) => i.id === blockedId)?.state, "open");
  });
});
