import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Discord on a real daemon: interactions signed with Ed25519 as Discord signs them, a `/drover`
// command answered with a deferred reply, then follow-up messages on the interaction's webhook of a
// local stand-in of Discord's API.

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const publicKeyHex = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url").toString("hex");

describe("Discord (interactions endpoint, real daemon)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let daemon: CliRun;
  let url: string;
  let api: Server;
  const followUps: { path: string; content: string }[] = [];

  const interact = (payload: unknown, signedBy = privateKey) => {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    return fetch(`${url}/hooks/discord`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature-timestamp": timestamp,
        "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), signedBy).toString("hex"),
      },
      body,
    });
  };
  const command = (user: string, prompt: string, token: string) => ({
    type: 2,
    application_id: "app1",
    token,
    channel_id: "CH1",
    member: { user: { id: user } },
    data: { name: "drover", options: [{ name: "prompt", value: prompt }] },
  });

  before(async () => {
    temp = makeTempDir();
    mkdirSync(path.join(temp.dir, "work"));
    api = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => {
        followUps.push({ path: req.url ?? "", content: (JSON.parse(raw) as { content: string }).content });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: String(followUps.length) }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v10/`;
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        chat: { discord: { apiUrl, allowedUsers: ["U1"], allowedChannels: ["CH1"], dir: "work" } },
      }),
    );
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", "state"], {
      cwd: temp.dir,
      env: { DROVER_DISCORD_PUBLIC_KEY: publicKeyHex },
    });
    await daemon.waitForOutput(/listening on/);
    url = /listening on (http:\/\/[^\s)]+)/.exec(daemon.stdout())?.[1] ?? "";
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    api.closeAllConnections();
    await new Promise<void>((resolve) => api.close(() => resolve()));
    temp.cleanup();
  });

  it("answers PING and refuses a request signed with another key (401)", async () => {
    assert.deepEqual(await (await interact({ type: 1 })).json(), { type: 1 });
    const other = generateKeyPairSync("ed25519").privateKey;
    assert.equal((await interact({ type: 1 }, other)).status, 401);
  });

  it("refuses a user who is not allowed, only to them", async () => {
    const answer = (await (await interact(command("U2", "[[reply no]]", "t-no"))).json()) as {
      type: number;
      data: { content: string; flags: number };
    };
    assert.equal(answer.type, 4);
    assert.equal(answer.data.flags, 64);
    assert.match(answer.data.content, /Not taken: you are not allowed/);
  });

  it("defers the reply, then follows up when the task starts and when it ends", async () => {
    const answer = (await (await interact(command("U1", "[[reply from discord]]", "t-1"))).json()) as {
      type: number;
    };
    assert.equal(answer.type, 5);
    await waitFor(() => followUps.some((message) => /succeeded/.test(message.content)), 120_000);
    const mine = followUps.filter((message) => message.path === "/api/v10/webhooks/app1/t-1");
    assert.match(mine[0]?.content ?? "", /^Working on it: task `bat_\w+\/discord-\w+`/);
    assert.match(mine[1]?.content ?? "", /succeeded: from discord/);
  });
});
