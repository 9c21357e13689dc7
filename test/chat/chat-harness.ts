import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { MatrixHomeserverStandIn } from "../helpers/matrix-homeserver-stand-in.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { SlackApiStandIn } from "../helpers/slack-api-stand-in.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// One daemon for every chat adapter's tests: Slack's, Discord's and Matrix's stand-ins, the three
// adapters configured (deny by default, then an allowlist), a runner for a Matrix room.

export const slackSecret = "slack-signing-secret-for-tests";
export const slackBotToken = "xoxb-1234-5678-slackTestToken";
export const matrixToken = "syt_matrix_test_token";
export const matrixRoom = "!work:example.org";
export const matrixRunnerRoom = "!helper:example.org";
export const discordKeys = generateKeyPairSync("ed25519");

export interface ChatDaemon {
  url: string;
  slack: SlackApiStandIn;
  homeserver: MatrixHomeserverStandIn;
  discordFollowUps: { path: string; content: string }[];
  temp: ReturnType<typeof makeTempDir>;
  stop(): Promise<void>;
}

export async function startChatDaemon(): Promise<ChatDaemon> {
  const temp = makeTempDir();
  mkdirSync(path.join(temp.dir, "work"));
  const slack = await SlackApiStandIn.start(slackBotToken);
  const homeserver = await MatrixHomeserverStandIn.start(matrixToken, [
    { roomId: matrixRoom, sender: "@alice:example.org", body: "!drover [[reply from history]]" },
  ]);
  const discordFollowUps: { path: string; content: string }[] = [];
  const discordApi: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      discordFollowUps.push({
        path: req.url ?? "",
        content: (JSON.parse(raw) as { content: string }).content,
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: String(discordFollowUps.length) }));
    });
  });
  await new Promise<void>((resolve) => discordApi.listen(0, "127.0.0.1", resolve));
  const discordUrl = `http://127.0.0.1:${(discordApi.address() as AddressInfo).port}/api/v10/`;
  writeFileSync(
    path.join(temp.dir, "drover.json"),
    JSON.stringify({
      chat: {
        dashboardUrl: "http://dash.example/",
        slack: { apiUrl: slack.url, allowedUsers: ["U_ALICE"], allowedChannels: ["C_WORK"], dir: "work" },
        discord: { apiUrl: discordUrl, allowedUsers: ["U1"], allowedChannels: ["CH1"], dir: "work" },
        matrix: {
          homeserverUrl: homeserver.url,
          allowedUsers: ["@alice:example.org"],
          rooms: { [matrixRoom]: {}, [matrixRunnerRoom]: { runner: "helper" } },
          dir: "work",
        },
      },
    }),
  );
  const created = runDrover(
    ["runner", "create", "helper", "--no-check", "--dir", "work", "--state-dir", "state"],
    {
      cwd: temp.dir,
    },
  );
  assert.equal(await created.exited, 0, created.stderr());
  const publicKeyHex = Buffer.from(
    discordKeys.publicKey.export({ format: "jwk" }).x ?? "",
    "base64url",
  ).toString("hex");
  const daemon: CliRun = runDrover(["daemon", "--port", "0", "--state-dir", "state"], {
    cwd: temp.dir,
    env: {
      DROVER_SLACK_SIGNING_SECRET: slackSecret,
      DROVER_SLACK_BOT_TOKEN: slackBotToken,
      DROVER_DISCORD_PUBLIC_KEY: publicKeyHex,
      DROVER_MATRIX_ACCESS_TOKEN: matrixToken,
    },
  });
  await daemon.waitForOutput(/listening on/);
  const url = /listening on (http:\/\/[^\s)]+)/.exec(daemon.stdout())?.[1] ?? "";
  return {
    url,
    slack,
    homeserver,
    discordFollowUps,
    temp,
    stop: async () => {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
      await Promise.all([slack.close(), homeserver.close()]);
      discordApi.closeAllConnections();
      await new Promise<void>((resolve) => discordApi.close(() => resolve()));
      temp.cleanup();
    },
  };
}
