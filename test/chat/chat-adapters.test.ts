import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { slackSignature } from "../../src/chat/slack/slack-signature.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { waitFor } from "../helpers/wait-for.ts";
import {
  type ChatDaemon,
  discordKeys,
  matrixRoom as room,
  matrixRunnerRoom as runnerRoom,
  slackSecret as secret,
  startChatDaemon,
} from "./chat-harness.ts";

// The chat adapters end to end on one real daemon with the scripted model: Slack (v0 signatures with
// a 5-minute replay window; mentions and a slash command; replies in the thread), Discord (Ed25519
// interactions; a deferred reply, then follow-ups), Matrix (a /sync loop; `!drover` in a room;
// reactions; a room mapped to a runner) — each against a stand-in of its API.

let chat: ChatDaemon;
let url: string;
before(async () => {
  chat = await startChatDaemon();
  url = chat.url;
});
after(() => chat.stop());

describe("Slack (Events API and slash command)", () => {
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
    chat.slack.posted.filter((message) => message.thread_ts === ts).map((m) => m.text);

  it("answers Slack's URL check, and refuses unsigned and replayed requests (401)", async () => {
    const check = await send("events", JSON.stringify({ type: "url_verification", challenge: "c-123" }));
    assert.deepEqual(await check.json(), { challenge: "c-123" });
    const unsigned = await send("events", mention("U_ALICE", "[[reply no]]", "1.1"), { signed: false });
    assert.equal(unsigned.status, 401);
    const replayed = await send("events", mention("U_ALICE", "[[reply no]]", "1.2"), { ageMs: 6 * 60_000 });
    assert.equal(replayed.status, 401);
    assert.equal(chat.slack.posted.length, 0);
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
    const startedSecond = chat.slack.posted.findIndex(
      (m) => m.thread_ts === "3.2" && /^Working on it/.test(m.text),
    );
    const endedFirst = chat.slack.posted.findIndex((m) => m.thread_ts === "3.1" && /succeeded/.test(m.text));
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

describe("Discord (interactions endpoint)", () => {
  const { privateKey } = discordKeys;
  const followUps = () => chat.discordFollowUps;
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
    await waitFor(() => followUps().some((message) => /succeeded/.test(message.content)), 120_000);
    const mine = followUps().filter((message) => message.path === "/api/v10/webhooks/app1/t-1");
    assert.match(mine[0]?.content ?? "", /^Working on it: task `bat_\w+\/discord-\w+`/);
    assert.match(mine[1]?.content ?? "", /succeeded: from discord/);
  });
});

describe("Matrix (sync loop)", () => {
  const about = (eventId: string) =>
    chat.homeserver.sent.filter((sent) => {
      const relates = sent.content["m.relates_to"] as
        | { event_id?: string; "m.in_reply_to"?: { event_id?: string } }
        | undefined;
      return relates?.event_id === eventId || relates?.["m.in_reply_to"]?.event_id === eventId;
    });
  const replies = (eventId: string) =>
    about(eventId)
      .filter((sent) => sent.type === "m.room.message")
      .map((sent) => String(sent.content.body));
  const reactions = (eventId: string) =>
    about(eventId)
      .filter((sent) => sent.type === "m.reaction")
      .map((sent) => (sent.content["m.relates_to"] as { key: string }).key);

  it("runs `!drover PROMPT` from an allowed user: ⏳, a reply when it starts, the outcome and ✅", async () => {
    const asked = chat.homeserver.say(room, "@alice:example.org", "!drover [[reply hello from matrix]]");
    await waitFor(() => reactions(asked).includes("✅"), 120_000);
    assert.deepEqual(reactions(asked), ["⏳", "✅"]);
    const said = replies(asked);
    assert.match(said[0] ?? "", /^Working on it: task `bat_\w+\/matrix-\w+`/);
    assert.match(said[1] ?? "", /succeeded: hello from matrix/);
    assert.equal(
      replies("$old0").length + reactions("$old0").length,
      0,
      "history before the bot started is left alone",
    );
  });

  it("refuses a user who is not allowed, and ignores messages without the prefix", async () => {
    const refused = chat.homeserver.say(room, "@mallory:example.org", "!drover [[reply no]]");
    const chatter = chat.homeserver.say(room, "@alice:example.org", "good morning");
    await waitFor(() => replies(refused).length > 0, 30_000);
    assert.match(replies(refused)[0] ?? "", /Not taken: you are not allowed/);
    assert.equal(about(chatter).length, 0);
  });

  it("runs a request in a room mapped to a runner as that runner's run", async () => {
    const asked = chat.homeserver.say(runnerRoom, "@alice:example.org", "!drover [[reply helped]]");
    await waitFor(() => reactions(asked).includes("✅"), 120_000);
    assert.match(replies(asked)[0] ?? "", /^Working on it: task `bat_\w+\/helper`/);
    const runs = runDrover(["runner", "status", "helper", "--json", "--state-dir", "state"], {
      cwd: chat.temp.dir,
    });
    await runs.exited;
    assert.match(runs.stdout(), /succeeded/);
  });
});
