import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { DroverEventBody } from "../../src/core/events.ts";
import type { TierLists } from "../../src/egress/classify-host.ts";
import { DecisionReporter } from "../../src/egress/decision-reporter.ts";
import { defaultTiersText } from "../../src/egress/default-tiers.ts";
import { EgressProxy } from "../../src/egress/egress-proxy.ts";
import { parseTierList } from "../../src/egress/tier-list.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

type Decision = Extract<DroverEventBody, { type: "network.decision" }>;

/** A loopback HTTP server that answers its own name and counts the connections it saw. */
async function target(host: string, name: string) {
  let connections = 0;
  const server = http.createServer((_request, response) => response.end(`hello from ${name}`));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** CONNECT through the proxy, then a plain GET over the tunnel; resolves with all the bytes read. */
function connectThrough(proxy: net.NetConnectOpts, authority: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxy);
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.startsWith("HTTP/1.1 200") && text.includes("\r\n\r\n") && !text.includes("GET-SENT")) {
        text += "GET-SENT";
        socket.write(`GET / HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
      }
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

describe("the egress proxy (real sockets)", () => {
  const temp = makeTempDir();
  let allowedTarget: Awaited<ReturnType<typeof target>>;
  let deniedTarget: Awaited<ReturnType<typeof target>>;
  let proxy: EgressProxy;
  let now = 1_000_000;
  const decisions: Decision[] = [];
  const warnings: string[] = [];
  const lists: TierLists = {
    user: parseTierList("[tier1]\n127.0.0.2\n", "mine.conf").rules,
    providers: [],
    defaults: parseTierList(defaultTiersText, "default list").rules,
    unknown: "deny",
  };

  before(async () => {
    allowedTarget = await target("127.0.0.2", "tier one");
    deniedTarget = await target("127.0.0.3", "raw ip");
    proxy = await EgressProxy.start({
      lists,
      decisions: new DecisionReporter({ report: (event) => decisions.push(event), now: () => now }),
      warn: (message) => warnings.push(message),
    });
  });
  after(async () => {
    await proxy.close();
    await allowedTarget.close();
    await deniedTarget.close();
    temp.cleanup();
  });

  it("forwards a plain HTTP request to an allowed host and records the decision", async () => {
    const response = await fetchThrough(proxy.port, `http://127.0.0.2:${allowedTarget.port}/`);
    assert.deepEqual([response.status, response.body], [200, "hello from tier one"]);
    const decision = decisions.find((event) => event.host === "127.0.0.2");
    assert.deepEqual(
      [decision?.label, decision?.tier, decision?.decision, decision?.rule],
      ["servers", 1, "allow", "127.0.0.2 (mine.conf:2)"],
    );
  });

  it("tunnels CONNECT to an allowed host", async () => {
    const text = await connectThrough(
      { port: proxy.port, host: "127.0.0.1" },
      `127.0.0.2:${allowedTarget.port}`,
    );
    assert.match(text, /^HTTP\/1\.1 200 Connection Established/);
    assert.match(text, /hello from tier one/);
  });

  it("denies a tier-5 host with 403, by request and by CONNECT, and the target never sees a connection", async () => {
    const before = deniedTarget.connections;
    const response = await fetchThrough(proxy.port, `http://127.0.0.3:${deniedTarget.port}/`);
    assert.equal(response.status, 403);
    assert.match(response.body, /127\.0\.0\.3 denied \(tier 5: raw IP address\)/);
    const text = await connectThrough(
      { port: proxy.port, host: "127.0.0.1" },
      `127.0.0.3:${deniedTarget.port}`,
    );
    assert.match(text, /^HTTP\/1\.1 403 Forbidden/);
    assert.equal(deniedTarget.connections, before);
    assert.ok(decisions.some((event) => event.host === "127.0.0.3" && event.decision === "deny"));
  });

  it("denies an unknown host with network.unknown: deny before resolving it", async () => {
    const text = await connectThrough({ port: proxy.port, host: "127.0.0.1" }, "nowhere.example:443");
    assert.match(text, /^HTTP\/1\.1 403/);
    const decision = decisions.find((event) => event.host === "nowhere.example");
    assert.deepEqual([decision?.tier, decision?.decision], [4, "deny"]);
  });

  it("serves a Unix socket listener whose decisions carry its label", async () => {
    const socketPath = path.join(temp.dir, "egress.sock");
    const stop = await proxy.listenOnSocket("group-a", socketPath);
    try {
      const text = await connectThrough({ path: socketPath }, `127.0.0.2:${allowedTarget.port}`);
      assert.match(text, /hello from tier one/);
      assert.ok(decisions.some((event) => event.label === "group-a" && event.host === "127.0.0.2"));
    } finally {
      await stop();
    }
  });

  it("tells repeats once a minute with their count", async () => {
    const url = "http://repeated.example/";
    const told = () => decisions.filter((event) => event.host === "repeated.example");
    for (let i = 0; i < 5; i++) assert.equal((await fetchThrough(proxy.port, url)).status, 403);
    assert.deepEqual(
      told().map((event) => event.count),
      [1],
      "the first is told, the repeats within the minute only counted",
    );
    now += 61_000;
    await fetchThrough(proxy.port, url);
    assert.deepEqual(
      told().map((event) => event.count),
      [1, 5],
    );
  });

  it("works for curl, forwarding and tunnelling (-p)", async () => {
    const run = promisify(execFile);
    const url = `http://127.0.0.2:${allowedTarget.port}/`;
    const proxyUrl = `http://127.0.0.1:${proxy.port}`;
    const plain = await run("curl", ["-sS", "--noproxy", "", "-x", proxyUrl, url]);
    assert.equal(plain.stdout, "hello from tier one");
    const tunnelled = await run("curl", ["-sS", "-p", "--noproxy", "", "-x", proxyUrl, url]);
    assert.equal(tunnelled.stdout, "hello from tier one");
    const denied = await run("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--noproxy",
      "",
      "-x",
      proxyUrl,
      `http://127.0.0.3:${deniedTarget.port}/`,
    ]);
    assert.equal(denied.stdout, "403");
  });
});

/** A GET with an absolute URL to the proxy, as an HTTP client configured with a proxy sends it. */
function fetchThrough(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, path: url, method: "GET", headers: { host: new URL(url).host } },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

describe("an egress proxy that cannot start", () => {
  it("is an error naming why, and leaves nothing listening", async () => {
    const taken = await target("127.0.0.1", "in the way");
    try {
      await assert.rejects(
        EgressProxy.start({
          lists: { user: [], providers: [], defaults: [], unknown: "allow" },
          decisions: new DecisionReporter({ report: () => {} }),
          warn: () => {},
          port: taken.port,
        }),
        (error: Error & { code?: string }) =>
          error.code === "engine_start_failed" &&
          /the egress proxy did not start: .*EADDRINUSE/.test(error.message),
      );
    } finally {
      await taken.close();
    }
  });
});
