import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseTaskDocument } from "../../src/intake/read-task-file.ts";
import { ensureApiToken } from "../../src/security/api-token.ts";
import { createServer } from "../../src/server/create-server.ts";
import { type EngineHarness, startHarness } from "../helpers/engine-harness.ts";

// The dashboard's login and the API's cookie auth, through `app.request()`: what a browser would
// send, including the headers a cross-site form or fetch carries.
describe("dashboard login, cookie and CSRF", () => {
  let h: EngineHarness;
  let api: ReturnType<typeof createServer>;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = ensureApiToken(path.join(h.root, "state"));
    api = createServer({
      store: h.app.store,
      supervisor: h.app.supervisor,
      engine: h.app.engine,
      bus: h.app.bus,
      token,
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

  const sameOrigin = {
    host: "127.0.0.1:7420",
    origin: "http://127.0.0.1:7420",
    "sec-fetch-site": "same-origin",
  };
  const login = (value: string, headers: Record<string, string> = sameOrigin) =>
    api.request("/login", {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: value }).toString(),
    });
  /** Logs in and returns the cookie header to send and the page's CSRF value. */
  const signIn = async () => {
    const response = await login(token);
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await (await api.request("/", { headers: { cookie } })).text();
    const csrf = /<meta name="drover-csrf" content="([^"]+)">/.exec(page)?.[1];
    return { cookie, csrf, page };
  };

  it("shows the login page and refuses every API call without a token or cookie", async () => {
    const home = await api.request("/");
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /<form method="post" action="\/login"/);
    assert.doesNotMatch(html, /drover-csrf/, "no app page before logging in");
    assert.match(home.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self'/);
    for (const route of ["/v1/status", "/v1/batches", "/v1/events", "/v1/inbox?state=open"])
      assert.equal((await api.request(route)).status, 401, route);
    assert.equal((await api.request("/v1/batches/x/cancel", { method: "POST" })).status, 401);
    const forged = { cookie: "drover_session_x=mx1.abc.def" };
    assert.equal((await api.request("/v1/status", { headers: forged })).status, 401);
  });

  it("a wrong token stays on the login page with a message; the right one sets a safe cookie", async () => {
    const wrong = await login("drv_not-the-token");
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /class="login-error"[^>]*>That is not this daemon&#39;s API token/);
    assert.equal(wrong.headers.get("set-cookie"), null);

    const right = await login(token);
    assert.equal(right.status, 303);
    assert.equal(right.headers.get("location"), "/");
    const cookie = right.headers.get("set-cookie") ?? "";
    assert.match(
      cookie,
      /^drover_session_[\w-]{8}=[^;]+; Max-Age=86400; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    assert.ok(!cookie.includes(token), "the cookie is not the token");

    const { page, csrf } = await signIn();
    assert.match(page, /<script type="module" src="\/assets\/app\.js"><\/script>/);
    assert.ok(csrf && csrf.length >= 32, "the page carries the session's CSRF value");
    assert.match(page, /<meta name="drover-event-seq" content="\d+">/);
  });

  it("the cookie opens the API for reading; a change needs the page's CSRF header from this origin", async () => {
    const { cookie, csrf } = await signIn();
    assert.equal((await api.request("/v1/status", { headers: { cookie } })).status, 200);
    const cancel = (headers: Record<string, string>) =>
      api.request("/v1/batches/bat_missing/cancel", { method: "POST", headers: { cookie, ...headers } });

    // A form posted from another page (another port of 127.0.0.1 is the same site: the cookie goes along).
    const crossSite = await cancel({
      ...sameOrigin,
      origin: "http://127.0.0.1:9999",
      "sec-fetch-site": "same-site",
    });
    assert.equal(crossSite.status, 403);
    const refusal = (await crossSite.json()) as { error: { code: string; message: string } };
    assert.equal(refusal.error.code, "csrf_refused");
    assert.equal(
      (await cancel({ ...sameOrigin, "x-drover-csrf": csrf as string, "sec-fetch-site": "cross-site" }))
        .status,
      403,
    );
    assert.equal((await cancel(sameOrigin)).status, 403, "no CSRF header");
    assert.equal((await cancel({ ...sameOrigin, "x-drover-csrf": "wrong" })).status, 403);
    // With the header it reaches the route (the batch does not exist: 404, not a refusal).
    assert.equal((await cancel({ ...sameOrigin, "x-drover-csrf": csrf as string })).status, 404);
    // The bearer token needs no CSRF header (scripts and the CLI).
    const bearer = await api.request("/v1/batches/bat_missing/cancel", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(bearer.status, 404);
  });

  it("a login from another site is refused, and logging out ends the cookie", async () => {
    const foreign = await login(token, {
      ...sameOrigin,
      origin: "http://evil.test",
      "sec-fetch-site": "cross-site",
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get("set-cookie"), null);

    const { cookie, csrf } = await signIn();
    const logout = (body: Record<string, string>) =>
      api.request("/logout", {
        method: "POST",
        headers: { ...sameOrigin, cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });
    await logout({ csrf: "wrong" });
    assert.equal(
      (await api.request("/v1/status", { headers: { cookie } })).status,
      200,
      "a forged logout does nothing",
    );
    const out = await logout({ csrf: csrf as string });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    assert.equal((await api.request("/v1/status", { headers: { cookie } })).status, 401);
    assert.match(await (await api.request("/", { headers: { cookie } })).text(), /action="\/login"/);
  });

  it("serves the built assets and a task's transcripts", async () => {
    const script = await api.request("/assets/app.js");
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type") ?? "", /text\/javascript/);
    assert.equal((await api.request("/assets/app.css")).status, 200);
    assert.equal((await api.request("/assets/..%2Fpackage.json")).status, 404);

    const results = await h.run([h.task("talk", "[[reply hello there]]")]);
    const batchId = results.batch.id;
    const transcripts = await api.request(`/v1/batches/${batchId}/tasks/talk/transcripts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(transcripts.status, 200);
    const body = (await transcripts.json()) as {
      attempts: { number: number; transcript: { messages: { role: string }[] } }[];
    };
    assert.equal(body.attempts[0]?.number, 1);
    const assistant = body.attempts[0]?.transcript.messages.filter((m) => m.role === "assistant");
    assert.match(JSON.stringify(assistant), /hello there/, "the agent's answer is in its transcript");
    // The page's live stream starts after the newest event, not at the start of history.
    const newestSeq = () => h.app.store.listEvents({ limit: 100_000 }).at(-1)?.seq ?? 0;
    const before = newestSeq();
    const { page } = await signIn();
    const startsAfter = Number(/name="drover-event-seq" content="(\d+)"/.exec(page)?.[1]);
    assert.ok(
      before > 0 && startsAfter >= before && startsAfter <= newestSeq(),
      `${startsAfter} vs ${before}`,
    );
    const missing = await api.request(`/v1/batches/${batchId}/tasks/nope/transcripts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(missing.status, 404);
  });
});
