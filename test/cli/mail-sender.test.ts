import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("drover mail send --from (the CLI, as a user runs it)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const send = (...extra: string[]) =>
    drover("mail", "send", "--to", "writer", "--type", "request", "--payload", "Please review", ...extra);
  beforeEach(async () => {
    temp = makeTempDir();
    assert.equal((await drover("runner", "create", "writer")).code, 0);
    assert.equal((await drover("runner", "create", "reviewer")).code, 0);
  });
  afterEach(() => temp.cleanup());

  it("a sender that is no runner is an error (exit 2) naming it, the runners and --external-sender", async () => {
    const ghost = await send("--from", "ghost");
    assert.equal(ghost.code, 2);
    assert.match(ghost.stderr, /--from: no runner "ghost" \(runners: reviewer, writer\)/);
    assert.match(ghost.stderr, /--external-sender/);
    const inbox = await drover("mail", "check", "--to", "writer", "--json");
    assert.deepEqual(JSON.parse(inbox.stdout), [], "nothing was sent");
  });

  it("accepts a runner as sender, and any name marked --external-sender", async () => {
    assert.equal((await send("--from", "reviewer")).code, 0);
    const coordinator = await send("--from", "coordinator", "--external-sender");
    assert.equal(coordinator.code, 0, coordinator.stderr);
    const inbox = await drover("mail", "check", "--to", "writer", "--json");
    assert.deepEqual(
      JSON.parse(inbox.stdout)
        .map((message: { from: string }) => message.from)
        .sort(),
      ["coordinator", "reviewer"],
    );
  });
});
