import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { ensureApiToken } from "../../src/security/api-token.ts";
import { createServer } from "../../src/server/create-server.ts";
import type { InboxItem } from "../../src/store/inbox.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

describe("attention inbox on the API", () => {
  let h: EngineHarness;
  let api: ReturnType<typeof createServer>;
  let token: string;
  before(async () => {
    h = await startHarness({ "retry.maxAttempts": 1 });
    token = ensureApiToken(path.join(h.root, "state"));
    api = createServer({
      store: h.app.store,
      supervisor: h.app.supervisor,
      engine: h.app.engine,
      bus: h.app.bus,
      token,
      inbox: h.app.inbox,
      parseTasks: (body: unknown) =>
        parseTaskDocument(body, "request", {
          model: "drover/scripted",
          timeoutMs: 60_000,
          baseDir: h.workDir,
        }),
    });
  });
  after(async () => {
    assert.deepEqual(await h.close(), []);
  });
  const call = (method: string, route: string, auth = true) =>
    api.request(route, { method, headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it("lists items, answers a permission once (409 the second time, 404 for an unknown id), 401 without the token", async () => {
    const ask = h.app.inbox.add({ kind: "permission", title: "may I", detail: "external_directory /x/*" });
    assert.equal((await call("GET", "/v1/inbox", false)).status, 401);
    const listed = (await (await call("GET", "/v1/inbox")).json()) as { items: InboxItem[] };
    assert.ok(listed.items.some((item) => item.id === ask.id));
    const approved = await call("POST", `/v1/inbox/${ask.id}/approve`);
    assert.equal(approved.status, 200);
    assert.equal(((await approved.json()) as InboxItem).state, "approved");
    const again = await call("POST", `/v1/inbox/${ask.id}/deny`);
    assert.equal(again.status, 409);
    assert.match(((await again.json()) as { error: { message: string } }).error.message, /already answered/);
    assert.equal((await call("POST", "/v1/inbox/inb_nope/approve")).status, 404);
  });

  it("retries the task of a 'failed' item from the inbox, which resolves the item", async () => {
    const results = await h.run([h.task("fails", "[[error 401]]")]);
    assert.equal(results.tasks[0]?.status, "failed");
    const item = h.app.inbox.list().find((i) => i.kind === "failed" && i.taskId === "fails");
    assert.ok(item);
    const retried = await call("POST", `/v1/inbox/${item.id}/retry`);
    assert.equal(retried.status, 200, await retried.clone().text());
    assert.equal(((await retried.json()) as InboxItem).state, "resolved");
    assert.ok(
      h.events.some(
        (e) => e.type === "task.state" && e.taskId === "fails" && e.from === "failed" && e.to !== "failed",
      ),
      "the task went back to the queue",
    );
  });
});
