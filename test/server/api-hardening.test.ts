import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import type { DroverEvent, DroverEventBody } from "../../src/core/events.ts";
import { tokenMatches } from "../../src/security/api-token.ts";
import { AuthFailures, authFailureWindowMs, requireToken } from "../../src/server/api-auth.ts";
import { daemonHostNames } from "../../src/server/request-guard.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** One request with exactly these headers (fetch would not let a test set `Host`). */
function send(
  port: number,
  request: { method?: string; path: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: request.method ?? "GET",
        path: request.path,
        headers: request.headers,
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const corsHeaders = (headers: http.IncomingHttpHeaders) =>
  Object.keys(headers).filter((name) => name.startsWith("access-control-"));

describe("the daemon's API against other sites (a real daemon, real HTTP)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let daemon: CliRun;
  let port: number;
  let token: string;
  const stateDir = () => path.join(temp.dir, "state");
  before(async () => {
    temp = makeTempDir();
    daemon = runDrover(["daemon", "--port", "0", "--json", "--state-dir", stateDir()], { cwd: temp.dir });
    await daemon.waitForOutput(/"daemon\.listening"/);
    const listening = daemon
      .stdout()
      .split("\n")
      .map((line) =>
        line.startsWith("{") ? (JSON.parse(line) as { type: string; url?: string }) : undefined,
      )
      .find((line) => line?.type === "daemon.listening");
    port = Number(new URL(listening?.url ?? "").port);
    token = readFileSync(path.join(stateDir(), "api-token"), "utf8").trim();
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0);
    assert.deepEqual(processesOwnedBy(path.join(stateDir(), "engines", "opencode")), []);
    temp.cleanup();
  });
  const bearer = () => ({ authorization: `Bearer ${token}` });

  it("answers to its loopback names on its port, and refuses any other Host with 421 (DNS rebinding)", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      const ok = await send(port, { path: "/v1/status", headers: { host, ...bearer() } });
      assert.equal(ok.status, 200, host);
    }
    for (const host of [
      `rebound.example:${port}`,
      "127.0.0.1",
      `127.0.0.1:${port + 1}`,
      `localhost.evil:${port}`,
    ]) {
      const refused = await send(port, { path: "/v1/status", headers: { host, ...bearer() } });
      assert.equal(refused.status, 421, host);
      const body = JSON.parse(refused.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "wrong_host");
      assert.match(body.error.message, /does not answer to Host/);
      assert.ok(!refused.body.includes(token));
    }
    // The login page too: a rebound page must not even see it.
    assert.equal((await send(port, { path: "/", headers: { host: `rebound.example:${port}` } })).status, 421);
  });

  it("refuses requests from another origin, even with the token, and never sends CORS headers", async () => {
    const host = `127.0.0.1:${port}`;
    const crossPost = await send(port, {
      method: "POST",
      path: "/v1/batches/bat_nope/cancel",
      headers: { host, origin: "http://evil.example", ...bearer() },
    });
    assert.equal(crossPost.status, 403);
    assert.equal(
      (JSON.parse(crossPost.body) as { error: { code: string } }).error.code,
      "cross_origin_refused",
    );
    assert.deepEqual(corsHeaders(crossPost.headers), []);
    const nullOrigin = await send(port, {
      method: "POST",
      path: "/v1/batches/bat_nope/cancel",
      headers: { host, origin: "null", ...bearer() },
    });
    assert.equal(nullOrigin.status, 403);
    const preflight = await send(port, {
      method: "OPTIONS",
      path: "/v1/batches",
      headers: { host, origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 403);
    assert.deepEqual(corsHeaders(preflight.headers), []);
    // The daemon's own pages (same origin) reach the route: an unknown batch is a 404, not a refusal.
    const own = await send(port, {
      method: "POST",
      path: "/v1/batches/bat_nope/cancel",
      headers: { host, origin: `http://${host}`, ...bearer() },
    });
    assert.notEqual(own.status, 403);
    assert.deepEqual(corsHeaders(own.headers), []);
  });

  it("records a failed authentication as an event, without the token presented, once per address and window", async () => {
    const wrong = "drv_WrongTokenPresentedByAnAttacker01";
    for (let i = 0; i < 5; i++) {
      const refused = await send(port, {
        path: "/v1/status",
        headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${wrong}` },
      });
      assert.equal(refused.status, 401);
    }
    const listed = await send(port, {
      path: "/v1/events",
      headers: { host: `127.0.0.1:${port}`, ...bearer() },
    });
    const failed = (JSON.parse(listed.body) as { events: DroverEvent[] }).events.filter(
      (event) => event.type === "api.auth_failed",
    );
    assert.equal(failed.length, 1, "five failures within the window make one event");
    assert.deepEqual(
      failed.map((event) => event.type === "api.auth_failed" && [event.method, event.path, event.reason]),
      [["GET", "/v1/status", "wrong bearer token"]],
    );
    const [event] = failed;
    assert.ok(event?.type === "api.auth_failed" && /127\.0\.0\.1/.test(event.remote), JSON.stringify(event));
    for (const file of readdirSync(stateDir()).filter((name) => name.startsWith("drover.db"))) {
      assert.ok(
        !readFileSync(path.join(stateDir(), file)).includes(wrong),
        `${file} holds the token presented`,
      );
    }
    assert.ok(!daemon.stdout().includes(wrong) && !daemon.stderr().includes(wrong), "nor does the log");
  });
});

describe("the API's credential check (in process)", () => {
  it("compares tokens only through timingSafeEqual, on digests of equal length", async () => {
    const compared: [number, number][] = [];
    const original = crypto.timingSafeEqual;
    crypto.timingSafeEqual = (a, b) => {
      compared.push([a.byteLength, b.byteLength]);
      return original(a, b);
    };
    syncBuiltinESMExports();
    try {
      assert.equal(tokenMatches("drv_short", "drv_the_expected_token_is_longer"), false);
      assert.equal(
        tokenMatches("drv_the_expected_token_is_longer", "drv_the_expected_token_is_longer"),
        true,
      );
      const app = new Hono();
      app.use(
        requireToken({ token: "drv_expected", signedIn: () => false, failures: new AuthFailures(() => {}) }),
      );
      app.get("/x", (c) => c.text("ok"));
      assert.equal((await app.request("/x", { headers: { authorization: "Bearer drv_e" } })).status, 401);
      assert.equal(
        (await app.request("/x", { headers: { authorization: "Bearer drv_expected" } })).status,
        200,
      );
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
    }
    assert.deepEqual(compared, [
      [32, 32],
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
  });

  it("rate-limits failed-auth events per address: one per window, counting the rest", async () => {
    let now = 1_000_000;
    const events: DroverEventBody[] = [];
    const failures = new AuthFailures(
      (event) => events.push(event),
      () => now,
    );
    const app = new Hono();
    app.use(requireToken({ token: "drv_expected", signedIn: () => false, failures }));
    app.get("/x", (c) => c.text("ok"));
    for (let i = 0; i < 100; i++) await app.request("/x", { headers: { authorization: "Bearer guess" } });
    assert.equal(events.length, 1);
    now += authFailureWindowMs;
    await app.request("/x");
    assert.deepEqual(
      events.map((event) => event.type === "api.auth_failed" && [event.count, event.reason]),
      [
        [1, "wrong bearer token"],
        [100, "no token"],
      ],
    );
    assert.ok(!JSON.stringify(events).includes("guess"));
  });

  it("lists the host names the daemon answers to", () => {
    assert.deepEqual(daemonHostNames("127.0.0.1", 7420), ["127.0.0.1:7420", "localhost:7420", "[::1]:7420"]);
    assert.deepEqual(daemonHostNames("::1", 80), ["127.0.0.1:80", "localhost:80", "[::1]:80"]);
    assert.deepEqual(daemonHostNames("Drover.Local", 1), [
      "127.0.0.1:1",
      "localhost:1",
      "[::1]:1",
      "drover.local:1",
    ]);
  });
});
