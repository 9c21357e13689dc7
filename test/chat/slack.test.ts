import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { slackSignature } from "../../src/chat/slack/slack-signature.ts";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { SlackApiStandIn } from "../helpers/slack-api-stand-in.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Slack on a real daemon: requests signed as Slack signs them (v0 HMAC with a 5-minute replay
// window), app mentions becoming tasks on the scripted model, one per channel at a time, replies
// in the thread through a stand-in of Slack's Web API.

const secret = "slack-signing-secret-for-tests";
const botToken = "xoxb-1234-5678-slackTestToken";

describe("Slack (Events API and slash command, real daemon)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let slack: SlackApiStandIn;
  let daemon: CliRun;
  let url: string;

  const send = (
    route: "events" | "commands",
    body: string,
    options: { ageMs?: number; signed?: boolean } = {},
  ) => {
    const timestamp = String(Math.floor((Date.now() - (options.ageMs ?? 0)) / 1000));
    return fetch(`${url}/hooks/slack/${route}`, {
      method: "POST",
      headers: {
        "content-type": route === "events" ? "application/json" : "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        ...(options.signed === false ? {} : { "x-slack-signature": slackSignature(secret, timestamp, body) }),
      },
      body,
    });
  };
  const mention = (user: string, text: string, ts: string) =>
    JSON.stringify({
      type: "event_callback",
      event: { type: "app_mention", user, channel: "C_WORK", text: `<@U0BOT> ${text}`, ts },
    });
  const inThread = (ts: string) =>
    slack.posted.filter((message) => message.thread_ts === ts).map((m) => m.text);

  before(async () => {
    temp = makeTempDir();
    mkdirSync(path.join(temp.dir, "work"));
    slack = await SlackApiStandIn.start(botToken);
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        chat: {
          dashboardUrl: "http://dash.example/",
          slack: { apiUrl: slack.url, allowedUsers: ["U_ALICE"], allowedChannels: ["C_WORK"], dir: "work" },
        },
      }),
    );
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", "state"], {
      cwd: temp.dir,
      env: { DROVER_SLACK_SIGNING_SECRET: secret, DROVER_SLACK_BOT_TOKEN: botToken },
    });
    await daemon.waitForOutput(/listening on/);
    url = /listening on (http:\/\/[^\s)]+)/.exec(daemon.stdout())?.[1] ?? "";
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    await slack.close();
    temp.cleanup();
  });

  it("answers Slack's URL check, and refuses unsigned and replayed requests (401)", async () => {
    const check = await send("events", JSON.stringify({ type: "url_verification", challenge: "c-123" }));
    assert.deepEqual(await check.json(), { challenge: "c-123" });
    const unsigned = await send("events", mention("U_ALICE", "[[reply no]]", "1.1"), { signed: false });
    assert.equal(unsigned.status, 401);
    const replayed = await send("events", mention("U_ALICE", "[[reply no]]", "1.2"), { ageMs: 6 * 60_000 });
    assert.equal(replayed.status, 401);
    assert.equal(slack.posted.length, 0);
  });

  it("refuses a user or a prompt it may not take, saying why in the thread", async () => {
    await send("events", mention("U_MALLORY", "[[reply no]]", "2.1"));
    await send("events", mention("U_ALICE", "deploy with ghp_abcdefghijklmnopqrstuvwxyz0123456789", "2.2"));
    await waitFor(() => inThread("2.1").length > 0 && inThread("2.2").length > 0, 10_000);
    assert.match(inThread("2.1")[0] ?? "", /Not taken: you are not allowed/);
    assert.match(inThread("2.2")[0] ?? "", /Not taken: the prompt looks like it holds a secret/);
  });

  it("runs a mention as a task and replies with its outcome; a second one in the channel waits its turn", async () => {
    assert.equal((await send("events", mention("U_ALICE", "[[slow 100]] [[words 30]]", "3.1"))).status, 200);
    assert.equal((await send("events", mention("U_ALICE", "[[reply second done]]", "3.2"))).status, 200);
    await waitFor(() => inThread("3.2").some((text) => /succeeded/.test(text)), 120_000);
    const first = inThread("3.1");
    const second = inThread("3.2");
    assert.match(
      first[0] ?? "",
      /^Working on it: task `bat_\w+\/slack-\w+` — http:\/\/dash\.example\/#\/batches\//,
    );
    assert.match(first[1] ?? "", /^Task `bat_\w+\/slack-\w+` succeeded/);
    assert.deepEqual(
      [second[0], /^Working on it/.test(second[1] ?? ""), /succeeded: second done/.test(second[2] ?? "")],
      ["Queued: 1 ahead of it in this channel.", true, true],
    );
    const startedSecond = slack.posted.findIndex(
      (m) => m.thread_ts === "3.2" && /^Working on it/.test(m.text),
    );
    const endedFirst = slack.posted.findIndex((m) => m.thread_ts === "3.1" && /succeeded/.test(m.text));
    assert.ok(endedFirst < startedSecond, "the second started after the first ended");
  });

  it("takes a slash command, answering the asker at once", async () => {
    const answer = await send(
      "commands",
      new URLSearchParams({
        command: "/drover",
        text: "[[reply ok]]",
        user_id: "U_ALICE",
        channel_id: "C_WORK",
      }).toString(),
    );
    assert.deepEqual(await answer.json(), {
      response_type: "ephemeral",
      text: "Taken: the task's progress follows in this channel.",
    });
  });
});
