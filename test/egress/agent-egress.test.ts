import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

/** A loopback HTTP server that counts the requests it answered. */
async function listener(host: string) {
  let requests = 0;
  const server = http.createServer((_request, response) => {
    requests++;
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("an agent's traffic goes through the egress proxy (real OpenCode, drover run)", () => {
  const temp = makeTempDir();
  const stateDir = path.join(temp.dir, "state");
  let tierOne: Awaited<ReturnType<typeof listener>>;
  let rawIp: Awaited<ReturnType<typeof listener>>;
  let run: { code: number | null; out: string; err: string };
  let events: {
    type: string;
    host?: string;
    decision?: string;
    tier?: number;
    label?: string;
    taskId?: string;
  }[];

  before(async () => {
    tierOne = await listener("127.0.0.2");
    rawIp = await listener("127.0.0.3");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        capacity: { ramReserveMb: 0 },
        stagger: { gapMs: 0 },
        network: { tiers: { tier1: ["127.0.0.2"] } },
      }),
    );
    const curl = (label: string, url: string) => `curl -s -o /dev/null -w '${label}=%{http_code} ' ${url}`;
    const command = `${curl("allowed", `http://127.0.0.2:${tierOne.port}/`)}; ${curl("denied", `http://127.0.0.3:${rawIp.port}/`)}`;
    const cli = runDrover(
      ["run", "-p", `[[bash ${command}]] [[reply tried both]]`, "--json", "--state-dir", stateDir],
      {
        cwd: temp.dir,
      },
    );
    const code = await cli.exited;
    run = { code, out: cli.stdout(), err: cli.stderr() };
    events = run.out
      .trim()
      .split("\n")
      .flatMap((line) => {
        try {
          return [JSON.parse(line)];
        } catch {
          return [];
        }
      });
  });
  after(async () => {
    await tierOne.close();
    await rawIp.close();
    temp.cleanup();
  });

  it("reaches a tier-1 host through the proxy and is refused a raw IP (tier 5), which never sees a request", () => {
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    assert.equal(tierOne.requests, 1);
    assert.equal(rawIp.requests, 0);
    const allow = events.find((e) => e.type === "network.decision" && e.host === "127.0.0.2");
    const deny = events.find((e) => e.type === "network.decision" && e.host === "127.0.0.3");
    assert.deepEqual([allow?.decision, allow?.tier], ["allow", 1]);
    assert.deepEqual([deny?.decision, deny?.tier], ["deny", 5]);
    assert.equal(deny?.taskId, "p1", "the only task running is named");
  });

  it("the agent sees the proxy's 403, and the denial is an inbox item", async () => {
    const batch = events.find((e) => e.type === "batch.results") as { id?: string } | undefined;
    assert.ok(batch?.id, run.out);
    const transcript = runDrover(["transcript", `${batch.id}/p1`, "--json", "--state-dir", stateDir], {
      cwd: temp.dir,
    });
    assert.equal(await transcript.exited, 0, transcript.stderr());
    assert.match(transcript.stdout(), /allowed=200 denied=403/);
    const inbox = runDrover(["inbox", "--json", "--state-dir", stateDir], { cwd: temp.dir });
    assert.equal(await inbox.exited, 0, inbox.stderr());
    const items = JSON.parse(inbox.stdout()) as
      | { items?: { kind: string; title: string }[] }
      | { kind: string; title: string }[];
    const list = Array.isArray(items) ? items : (items.items ?? []);
    const network = list.filter((item) => item.kind === "network");
    assert.equal(network.length, 1, inbox.stdout());
    assert.match(network[0]?.title ?? "", /\/p1: denied a connection to 127\.0\.0\.3/);
  });
});

describe("drover network check", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("prints the tier, the decision and the rule, as text and as JSON", async () => {
    writeFileSync(path.join(temp.dir, "tiers.conf"), "[tier5]\n*.leaky.example\n");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ network: { tiersFile: "tiers.conf" } }),
    );
    const text = runDrover(["network", "check", "registry.npmjs.org"], { cwd: temp.dir });
    assert.equal(await text.exited, 0, text.stderr());
    assert.match(
      text.stdout(),
      /registry\.npmjs\.org: tier 2 \(package registry\) → allow\nrule: registry\.npmjs\.org \(default list:\d+\)/,
    );
    const json = runDrover(["network", "check", "a.leaky.example", "--json"], { cwd: temp.dir });
    assert.equal(await json.exited, 0, json.stderr());
    assert.deepEqual(JSON.parse(json.stdout()), {
      host: "a.leaky.example",
      tier: 5,
      decision: "deny",
      rule: `*.leaky.example (${path.join(temp.dir, "tiers.conf")}:2)`,
    });
  });

  it("a tiers file with a bad line is a config error naming the file and line (exit 2)", async () => {
    const dir = path.join(temp.dir, "bad");
    await import("node:fs").then((fs) => fs.mkdirSync(dir));
    writeFileSync(path.join(dir, "tiers.conf"), "[tier1]\ngit.example.com\n[tier7]\n");
    writeFileSync(path.join(dir, "drover.json"), JSON.stringify({ network: { tiersFile: "tiers.conf" } }));
    const check = runDrover(["network", "check", "github.com"], { cwd: dir });
    assert.equal(await check.exited, 2);
    assert.match(check.stderr(), /tiers\.conf:3/);
    assert.match(check.stderr(), /unknown tier section \[tier7\]/);
  });

  it("an unknown tier name in the config is a config error naming the path (exit 2)", async () => {
    const dir = path.join(temp.dir, "unknown-tier");
    await import("node:fs").then((fs) => fs.mkdirSync(dir));
    writeFileSync(
      path.join(dir, "drover.json"),
      JSON.stringify({ network: { tiers: { tier6: ["x.example"] } } }),
    );
    const check = runDrover(["network", "check", "github.com"], { cwd: dir });
    assert.equal(await check.exited, 2);
    assert.match(check.stderr(), /network\.tiers/);
  });
});
