import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

interface TaskLine {
  id: string;
  status: string;
  attempts: number;
  reason?: string;
  outcome?: { summary: string };
  filesChanged: string[];
  tokens: { input: number; output: number };
}

interface TranscriptJson {
  attempts: {
    number: number;
    status: string;
    sessionId?: string;
    transcript: {
      messages: {
        role: string;
        text: string;
        error?: string;
        tools: { tool: string; input: string; status: string; output?: string }[];
      }[];
    } | null;
  }[];
}

describe("task views from the state dir alone (no daemon, OpenCode stopped)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  let batchId: string;
  const cli = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", stateDir], { cwd: temp.dir });
    const code = await run.exited;
    return { code, out: run.stdout(), err: run.stderr() };
  };

  before(async () => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "state");
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({ capacity: { ramReserveMb: 0 }, stagger: { gapMs: 0 } }),
    );
    const run = await cli(
      "run",
      "-p",
      "[[write out.txt hi]] [[reply wrote it]]",
      "[[error 401]]",
      "[[bash echo transcript-marker]] [[reply ran it]]",
      "--json",
    );
    assert.equal(run.code, 1, "one task fails, so the run exits 1");
    const results = run.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; id?: string })
      .find((line) => line.type === "batch.results");
    assert.ok(results?.id);
    batchId = results.id;
    assert.deepEqual(
      processesOwnedBy(path.join(stateDir, "engines", "opencode")),
      [],
      "OpenCode has stopped",
    );
  });
  after(() => temp.cleanup());

  it("ls lists every task with state, attempts, tokens and the outcome or failure (text and --json)", async () => {
    const text = await cli("ls");
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, new RegExp(`batch ${batchId} .*3 task\\(s\\), finished`));
    assert.match(text.out, /TASK\s+STATE\s+ATTEMPTS\s+TIME\s+TOKENS in\/out\s+COST\s+DETAIL/);
    assert.match(text.out, /p1\s+succeeded\s+1\s+.*wrote it/);
    assert.match(text.out, /p2\s+failed\s+1\s+.*Invalid API key/);

    const json = await cli("ls", batchId, "--json");
    assert.equal(json.code, 0, json.err);
    const listed = JSON.parse(json.out) as { batch: { id: string }; tasks: TaskLine[] };
    assert.equal(listed.batch.id, batchId);
    assert.deepEqual(
      listed.tasks.map((task) => [task.id, task.status]),
      [
        ["p1", "succeeded"],
        ["p2", "failed"],
        ["p3", "succeeded"],
      ],
    );
    assert.deepEqual(listed.tasks[0]?.filesChanged, ["out.txt"]);
    assert.ok((listed.tasks[0]?.tokens.input ?? 0) > 0);

    const failedOnly = JSON.parse(
      (await cli("ls", batchId, "--state", "failed,timed_out", "--json")).out,
    ) as {
      tasks: TaskLine[];
    };
    assert.deepEqual(
      failedOnly.tasks.map((task) => task.id),
      ["p2"],
    );
    const badState = await cli("ls", "--state", "broken");
    assert.equal(badState.code, 2);
    assert.match(badState.err, /"broken" is not a task state/);
  });

  it("show gives attempts, the failure, files changed, the session and how to open it, and the last messages", async () => {
    const failed = await cli("show", `${batchId}/p2`);
    assert.equal(failed.code, 0, failed.err);
    assert.match(failed.out, new RegExp(`task ${batchId}/p2: failed after 1 attempt`));
    assert.match(failed.out, /reason:\s+Invalid API key/);
    assert.match(failed.out, /1\s+fresh\s+failed\s+.*auth_error: Invalid API key/);

    const wrote = await cli("show", `${batchId}/p1`);
    assert.equal(wrote.code, 0, wrote.err);
    assert.match(wrote.out, /files:\s+out\.txt/);
    assert.match(wrote.out, /session ses_\w+ \(on opencode-1\)/);
    assert.match(wrote.out, /open in OpenCode:\s+OPENCODE_DB=\S+opencode\.db \S+ \S+ --session ses_\w+/);
    assert.match(wrote.out, /export as JSON:\s+OPENCODE_DB=\S+ \S+ export ses_\w+/);
    assert.match(wrote.out, /last messages of attempt 1/);
    assert.match(wrote.out, /→ write filePath="out\.txt".*\[completed\]/);

    const json = JSON.parse((await cli("show", `${batchId}/p1`, "--json")).out) as {
      task: { id: string; state: string };
      attempts: { number: number; kind: string; status: string; sessionId: string }[];
      totals: { filesChanged: string[] };
      session: { sessionId: string; database: string; open: string };
      lastMessages: { attempt: number; messages: { role: string }[] };
    };
    assert.equal(json.task.state, "succeeded");
    assert.deepEqual(
      json.attempts.map((a) => [a.number, a.kind, a.status]),
      [[1, "fresh", "succeeded"]],
    );
    assert.equal(json.session.sessionId, json.attempts[0]?.sessionId);
    assert.match(json.session.database, /engines\/opencode\/opencode-1\/.*opencode\.db$/);
    assert.deepEqual(json.totals.filesChanged, ["out.txt"]);
    assert.equal(json.lastMessages.attempt, 1);
  });

  it("transcript prints the whole conversation, tool calls with their output, as text or --json", async () => {
    const text = await cli("transcript", `${batchId}/p3`);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /── attempt 1 · fresh · succeeded · ses_\w+ ──/);
    assert.match(text.out, /^user\n {2}\[\[bash echo transcript-marker\]\]/m);
    assert.match(text.out, /→ bash command="echo transcript-marker".*\[completed\]\n\s+transcript-marker/);

    const json = JSON.parse((await cli("transcript", `${batchId}/p3`, "--json")).out) as TranscriptJson;
    const messages = json.attempts[0]?.transcript?.messages ?? [];
    assert.equal(messages[0]?.role, "user");
    const bash = messages.flatMap((message) => message.tools).find((call) => call.tool === "bash");
    assert.equal(bash?.status, "completed");
    assert.match(bash?.output ?? "", /transcript-marker/);

    const failed = JSON.parse((await cli("transcript", `${batchId}/p2`, "--json")).out) as TranscriptJson;
    assert.match(failed.attempts[0]?.transcript?.messages.at(-1)?.error ?? "", /Invalid API key/);
  });

  it("a batch or task that does not exist is an error naming it, for every view", async () => {
    for (const args of [
      ["ls", "bat_nonexistent"],
      ["show", "bat_nonexistent/p1"],
      ["transcript", "bat_nonexistent/p1"],
      ["logs", "bat_nonexistent"],
      ["wait", "bat_nonexistent"],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 1, `${args.join(" ")} exits 1`);
      assert.match(result.err, /no batch bat_nonexistent/, args.join(" "));
      assert.equal(result.out, "", `${args.join(" ")} prints nothing on stdout`);
    }
    for (const args of [
      ["show", `${batchId}/nope`],
      ["transcript", `${batchId}/nope`],
      ["logs", `${batchId}/nope`],
      ["logs", batchId, "--task", "nope"],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 1, `${args.join(" ")} exits 1`);
      assert.match(result.err, new RegExp(`no task ${batchId}/nope`), args.join(" "));
    }
    const json = await cli("show", "bat_nonexistent/p1", "--json");
    assert.equal((JSON.parse(json.out) as { code: string }).code, "not_found");
  });

  it("logs filters by task, keeps the tail and can leave progress out", async () => {
    const all = await cli("logs", batchId, "--json");
    assert.equal(all.code, 0, all.err);
    const events = all.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; taskId?: string });
    assert.ok(events.some((event) => event.type === "attempt.progress"));

    const p1 = (await cli("logs", batchId, "--task", "p1", "--no-progress", "--json")).out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; taskId?: string });
    assert.ok(p1.length > 0);
    assert.ok(p1.every((event) => event.taskId === "p1" && event.type !== "attempt.progress"));
    assert.deepEqual(
      (await cli("logs", `${batchId}/p1`, "--no-progress", "--json")).out.trim().split("\n").length,
      p1.length,
      "BATCH/TASK is the same as --task",
    );

    const tail = await cli("logs", batchId, "--tail", "2");
    const lines = tail.out.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? "", /batch\.finished/);
  });

  it("status counts each batch's tasks by state; wait returns at once for an ended batch", async () => {
    const status = await cli("status");
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /daemon: not running/);
    assert.match(status.out, new RegExp(`${batchId}\\s+finished\\s+2 succeeded, 1 failed`));

    const waited = await cli("wait", batchId);
    assert.equal(waited.code, 1, "not every task succeeded");
    assert.match(waited.out, /p2\s+failed/);
  });
});
