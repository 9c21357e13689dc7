import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { batchIdIn, namedValuesIn, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const plantedSecret = "drover-test-secret-4f9Kq2Lm8Zx";
const plantedKey = "sk-ant-planted-9Jw3Rt6Yp1Qs8Dv2";

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

/** `abc…` as `$(printf %s abc)…` halves: the shell rebuilds the value, the prompt never holds it. */
function split(value: string): string {
  const half = Math.floor(value.length / 2);
  return `$(printf %s ${value.slice(0, half)})${value.slice(half)}`;
}

/** Each probe prints `NAME=RESULT` on a line of its own. */
function probes(ports: { local: number; tierOne: number; rawIp: number }, realHome: string): string {
  const direct = `127.0.0.1:${ports.local}`;
  return [
    `echo "ssh=$(cat ${realHome}/.ssh/id_ed25519 2>/dev/null || echo unreadable)"`,
    `echo "home=$(ls -A $HOME | tr '\\n' ' ')"`,
    // By name, and by value put together at run time (a prompt holding the value is refused).
    `echo "secret=$(env | grep -c -e DROVER_TEST_SECRET -e "${split(plantedSecret)}")"`,
    `echo "parent=$(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c -e DROVER_TEST_SECRET -e ANTHROPIC_API_KEY -e "${split(plantedSecret)}" -e "${split(plantedKey)}")"`,
    `echo "key=$(env | grep -c -e ANTHROPIC_API_KEY -e "${split(plantedKey)}")"`,
    `echo "curl-direct=$(curl -s -m 3 --noproxy '*' -o /dev/null -w '%{http_code}' http://${direct}/)"`,
    `echo "node-direct=$(node -e "const s=require('net').connect(${ports.local},'127.0.0.1');s.on('connect',()=>{console.log('connected');process.exit()});s.on('error',e=>{console.log(e.code);process.exit()})")"`,
    `echo "python-direct=$(python3 -c "import socket
try:
    socket.create_connection(('127.0.0.1', ${ports.local}), 2); print('connected')
except OSError as e: print(type(e).__name__)")"`,
    `echo "bash-direct=$( (exec 3<>/dev/tcp/127.0.0.1/${ports.local} && echo connected) 2>/dev/null || echo refused)"`,
    `echo "tier1-proxy=$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.2:${ports.tierOne}/)"`,
    `echo "tier1-direct=$(curl -s -m 3 --noproxy '*' -o /dev/null -w '%{http_code}' http://127.0.0.2:${ports.tierOne}/)"`,
    `echo "tier5-proxy=$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.3:${ports.rawIp}/)"`,
    `echo "usr=$(touch /usr/drover-probe 2>/dev/null && echo written || echo read-only)"`,
    `echo "state=$(ls -A ${"$"}DROVER_PROJECT/state 2>/dev/null | tr '\\n' ' ')"`,
    "echo made > made-in-sandbox.txt",
  ].join("; ");
}

describe("the strict sandbox (real bwrap, real OpenCode, real egress proxy)", () => {
  const temp = makeTempDir();
  const project = path.join(temp.dir, "project");
  const realHome = path.join(temp.dir, "real-home");
  let local: Awaited<ReturnType<typeof listener>>;
  let tierOne: Awaited<ReturnType<typeof listener>>;
  let rawIp: Awaited<ReturnType<typeof listener>>;
  let seen: Record<string, string>;
  let run: { code: number | null; out: string; err: string };

  before(async () => {
    mkdirSync(path.join(realHome, ".ssh"), { recursive: true });
    writeFileSync(path.join(realHome, ".ssh", "id_ed25519"), "PLANTED PRIVATE KEY\n", { mode: 0o600 });
    mkdirSync(project, { recursive: true });
    local = await listener("127.0.0.1");
    tierOne = await listener("127.0.0.2");
    rawIp = await listener("127.0.0.3");
    writeFileSync(
      path.join(project, "drover.json"),
      JSON.stringify({
        sandbox: "strict",
        capacity: { ramReserveMb: 0 },
        stagger: { gapMs: 0 },
        network: { tiers: { tier1: ["127.0.0.2"] } },
        // The probes name paths outside the project: let OpenCode allow them, the sandbox is the wall.
        opencode: { onPermission: "once" },
      }),
    );
    const command = probes(
      { local: local.port, tierOne: tierOne.port, rawIp: rawIp.port },
      realHome,
    ).replaceAll("$DROVER_PROJECT", project);
    const cli = runDrover(
      ["run", "-p", `[[bash ${command}]] [[reply probed]]`, "--json", "--state-dir", "state"],
      {
        cwd: project,
        env: { HOME: realHome, DROVER_TEST_SECRET: plantedSecret, ANTHROPIC_API_KEY: plantedKey },
      },
    );
    const code = await cli.exited;
    run = { code, out: cli.stdout(), err: cli.stderr() };
    const batchId = batchIdIn(run.out);
    assert.ok(batchId, `${run.out}\n${run.err}`);
    const transcript = runDrover(["transcript", `${batchId}/p1`, "--state-dir", "state"], { cwd: project });
    assert.equal(await transcript.exited, 0, transcript.stderr());
    seen = namedValuesIn(transcript.stdout());
  });
  after(async () => {
    await Promise.all([local.close(), tierOne.close(), rawIp.close()]);
    temp.cleanup();
  });

  it("runs the task, and what it writes in the project folder stays", () => {
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    assert.equal(readFileSync(path.join(project, "made-in-sandbox.txt"), "utf8"), "made\n");
  });

  it("cannot read a file planted in the real HOME, and its own HOME holds only an identity", () => {
    assert.equal(seen.ssh, "unreadable");
    assert.deepEqual(seen.home?.split(" ").filter(Boolean).sort(), [
      ".cache",
      ".config",
      ".gitconfig",
      ".local",
    ]);
  });

  it("sees no secret and no provider key of drover's environment, in its env or its server's", () => {
    assert.deepEqual([seen.secret, seen.parent, seen.key], ["0", "0", "0"]);
  });

  it("cannot reach a loopback listener by curl, node, python or bash, and the listener sees nothing", () => {
    assert.equal(seen["curl-direct"], "000");
    assert.equal(seen["node-direct"], "ECONNREFUSED");
    assert.equal(seen["python-direct"], "ConnectionRefusedError");
    assert.equal(seen["bash-direct"], "refused");
    assert.equal(local.requests, 0);
  });

  it("reaches a tier-1 host only through the egress proxy, and is refused a tier-5 one", () => {
    assert.deepEqual([seen["tier1-proxy"], seen["tier1-direct"], seen["tier5-proxy"]], ["200", "000", "403"]);
    assert.equal(tierOne.requests, 1);
    assert.equal(rawIp.requests, 0);
  });

  it("finds the system read-only, and of drover's state dir only its own home and the worktrees", () => {
    assert.equal(seen.usr, "read-only");
    // No store, no API token, no other server's home: just the mount points of what it may use.
    assert.deepEqual(seen.state?.split(" ").filter(Boolean).sort(), ["engines", "worktrees"]);
    assert.equal(existsSync("/usr/drover-probe"), false);
  });
});

describe("the strict sandbox when bubblewrap cannot be had", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("refuses to run, naming bubblewrap, and starts no weaker server", async () => {
    writeFileSync(path.join(temp.dir, "drover.json"), JSON.stringify({ sandbox: "strict" }));
    const cli = runDrover(["run", "-p", "[[reply never]]", "--state-dir", "state"], {
      cwd: temp.dir,
      env: { DROVER_BWRAP: "/nonexistent/bwrap" },
    });
    const code = await cli.exited;
    assert.notEqual(code, 0);
    assert.match(cli.stderr(), /strict sandbox cannot be had: \/nonexistent\/bwrap not found: .*bubblewrap/);
    assert.equal(existsSync(path.join(temp.dir, "results.json")), false);
  });
});
