import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import { type DroverState, openState } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { addAgentRoutes } from "../../src/server/agent-routes.ts";
import { errorResponse } from "../../src/server/http-errors.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("runner, memory and mailbox routes of the API", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let state: DroverState;
  const app = new Hono();
  before(() => {
    temp = makeTempDir();
    state = openState({
      loaded: loadConfig({ cwd: temp.dir, env: {}, flags: { stateDir: path.join(temp.dir, "state") } }),
    });
    app.onError((error, c) => errorResponse(c, error));
    addAgentRoutes(app, { runners: state.runners, memory: state.memory, mailbox: state.mailbox });
  });
  after(async () => {
    await state.close();
    temp.cleanup();
  });
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await app.request(route, {
      method,
      ...(body !== undefined
        ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
        : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text,
    };
  };

  it("creates, shows, edits and destroys runners; rejects bad names", async () => {
    assert.equal(
      (
        await call("POST", "/v1/runners", {
          name: "reviewer",
          description: "Reviews",
          instructions: "Be kind.",
        })
      ).status,
      201,
    );
    assert.equal((await call("POST", "/v1/runners", { name: "reviewer" })).status, 409);
    assert.equal((await call("POST", "/v1/runners", { name: "1bad" })).status, 400);
    assert.equal(
      (await call("PATCH", "/v1/runners/reviewer", { model: "drover/scripted" })).body.model,
      "drover/scripted",
    );
    const shown = await call("GET", "/v1/runners/reviewer");
    assert.equal(shown.body.runner.description, "Reviews");
    assert.deepEqual(shown.body.runs, []);
    assert.match(
      (await call("GET", "/v1/runners/reviewer/agent")).body as string,
      /model: drover\/scripted[\s\S]*Be kind\./,
    );
    assert.equal((await call("GET", "/v1/runners")).body.runners.length, 1);
    assert.equal((await call("DELETE", "/v1/runners/reviewer")).status, 200);
    assert.equal((await call("GET", "/v1/runners/reviewer")).status, 404);
  });

  it("stores and recalls memory, refuses secrets, takes feedback", async () => {
    const stored = await call("POST", "/v1/memory", {
      namespace: "ops",
      content: "Restart the queue worker after deploys",
      tags: ["deploy"],
    });
    assert.equal(stored.status, 201);
    const recalled = await call("GET", "/v1/memory/recall?namespace=ops&q=deploy%20worker");
    assert.equal(recalled.body.memories[0].content, "Restart the queue worker after deploys");
    const secret = await call("POST", "/v1/memory", {
      namespace: "ops",
      content: "aws key AKIAABCDEFGHIJKLMNOP",
    });
    assert.equal(secret.status, 400);
    assert.match(secret.body.error.message, /secret/);
    assert.equal((await call("POST", `/v1/memory/${stored.body.id}/feedback`, { useful: true })).status, 200);
    assert.deepEqual(
      (await call("GET", "/v1/memory/namespaces")).body.namespaces.map(
        (n: { namespace: string }) => n.namespace,
      ),
      ["ops"],
    );
    assert.equal((await call("GET", "/v1/memory/recall?namespace=ops")).status, 400);
  });

  it("refuses malformed query parameters and ids with 400, naming them", async () => {
    const cases: [method: string, route: string, named: string][] = [
      ["GET", "/v1/memory?limit=abc", "limit"],
      ["GET", "/v1/memory/recall?namespace=ops&q=deploy&limit=-5", "limit"],
      ["GET", "/v1/mail?unread=yes", "unread"],
      ["POST", "/v1/mail/prune?olderThanDays=week", "olderThanDays"],
      ["DELETE", "/v1/memory/abc", "id"],
    ];
    for (const [method, route, named] of cases) {
      const response = await call(method, route);
      assert.equal(response.status, 400, `${method} ${route}`);
      assert.equal(response.body.error.code, "bad_input");
      assert.equal(response.body.error.issues[0].path, named, `${method} ${route}`);
    }
    assert.equal((await call("GET", "/v1/memory?limit=2")).status, 200);
  });

  it("sends, lists, reads, acks and archives mail", async () => {
    await call("POST", "/v1/runners", { name: "writer" });
    const sent = await call("POST", "/v1/mail", {
      to: "writer",
      type: "request",
      payload: "Draft the changelog",
      priority: "high",
    });
    assert.equal(sent.status, 201);
    const id = sent.body.sent[0].id as string;
    assert.equal((await call("GET", "/v1/mail?to=writer&unread=true")).body.mail.length, 1);
    assert.equal((await call("GET", `/v1/mail/${id}`)).body.payload, "Draft the changelog");
    assert.equal((await call("POST", `/v1/mail/${id}/ack`)).status, 200);
    assert.equal((await call("POST", `/v1/mail/${id}/archive`)).body.archived, 1);
    assert.equal(
      (await call("POST", "/v1/mail", { to: "ghost", type: "request", payload: "x" })).status,
      404,
    );
    assert.equal(
      (await call("POST", "/v1/mail", { to: "writer", type: "gossip", payload: "x" })).status,
      400,
    );
  });
});
