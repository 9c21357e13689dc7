import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { batchIdIn, namedValuesIn, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const plantedKey = "sk-ant-planted-3Lk8Wq5Zr2Nc7Vb4";

/** Prints what the agent's shell and its server's environment hold, one `NAME=VALUE` per line. */
const look = [
  'echo "home=$HOME"',
  'echo "setting=$(printenv MY_SETTING || echo unset)"',
  'echo "key=$(env | grep -c ANTHROPIC_API_KEY)"',
  "echo \"server-key=$(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c ANTHROPIC_API_KEY)\"",
].join("; ");

interface TaskView {
  state: string;
  sessionServer?: string;
  /** The failure of its last attempt. */
  failure?: { message: string; retryable: boolean };
}

describe("sandbox profiles per task, and the servers tasks may share (real OpenCode)", () => {
  const temp = makeTempDir();
  const project = path.join(temp.dir, "project");
  const realHome = path.join(temp.dir, "real-home");
  const tasks = new Map<string, TaskView>();
  const seen = new Map<string, Record<string, string>>();
  let run: { code: number | null; out: string; err: string };

  before(async () => {
    mkdirSync(realHome, { recursive: true });
    mkdirSync(path.join(project, "repo"), { recursive: true });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: path.join(project, "repo") });
    git("init", "-q", "-b", "main");
    writeFileSync(path.join(project, "repo", "README.md"), "repo\n");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first");
    writeFileSync(
      path.join(project, "drover.json"),
      JSON.stringify({
        capacity: { ramReserveMb: 0 },
        stagger: { gapMs: 0 },
        opencode: { servers: 1, onPermission: "once" },
      }),
    );
    const bash = (command: string) => `[[bash ${command}]] [[reply looked]]`;
    writeFileSync(
      path.join(project, "tasks.json"),
      JSON.stringify({
        tasks: [
          { id: "home", prompt: bash(look) },
          { id: "open", prompt: bash(look), sandbox: "none" },
          { id: "repo-a", prompt: bash("echo a"), repo: "repo" },
          { id: "repo-b", prompt: bash("echo b"), repo: "repo" },
        ],
      }),
    );
    const cli = runDrover(["run", "tasks.json", "--json", "--state-dir", "state"], {
      cwd: project,
      env: {
        HOME: realHome,
        MY_SETTING: "from-drover",
        ANTHROPIC_API_KEY: plantedKey,
      },
    });
    const code = await cli.exited;
    run = { code, out: cli.stdout(), err: cli.stderr() };
    const batchId = batchIdIn(run.out);
    assert.ok(batchId, `${run.out}\n${run.err}`);
    for (const id of ["home", "open", "repo-a", "repo-b"]) {
      const show = runDrover(["show", `${batchId}/${id}`, "--json", "--state-dir", "state"], {
        cwd: project,
      });
      assert.equal(await show.exited, 0, show.stderr());
      const view = JSON.parse(show.stdout()) as {
        task: TaskView;
        attempts: { server?: string; failure?: TaskView["failure"] }[];
      };
      const failure = view.attempts.at(-1)?.failure;
      tasks.set(id, { ...view.task, ...(failure ? { failure } : {}) });
    }
    for (const id of ["home", "open"]) {
      const transcript = runDrover(["transcript", `${batchId}/${id}`, "--state-dir", "state"], {
        cwd: project,
      });
      assert.equal(await transcript.exited, 0, transcript.stderr());
      seen.set(id, namedValuesIn(transcript.stdout()));
    }
  });
  after(() => temp.cleanup());

  it("runs each task under its own profile: home gets a home of its own, none gets yours", () => {
    assert.equal(tasks.get("home")?.state, "succeeded", run.err);
    assert.equal(tasks.get("open")?.state, "succeeded", run.err);
    assert.notEqual(seen.get("home")?.home, realHome);
    assert.match(seen.get("home")?.home ?? "", /state\/engines\/opencode\/opencode-1\/home$/);
    assert.equal(seen.get("home")?.setting, "unset", "home passes only the allowlist");
    assert.equal(seen.get("open")?.home, realHome);
    assert.equal(seen.get("open")?.setting, "from-drover", "none passes drover's environment");
  });

  it("gives no profile a provider key, in the agent's env or its server's", () => {
    for (const id of ["home", "open"]) {
      assert.deepEqual([seen.get(id)?.key, seen.get(id)?.["server-key"]], ["0", "0"], id);
    }
  });

  it("runs tasks of another profile or of a repository on servers of their own; one repository's tasks share", () => {
    const server = (id: string) => tasks.get(id)?.sessionServer;
    assert.equal(server("home"), "opencode-1");
    assert.equal(server("open"), "opencode-none-1");
    assert.match(server("repo-a") ?? "", /^opencode-home-repo-[0-9a-f]{6}-1$/);
    assert.equal(server("repo-b"), server("repo-a"));
    assert.equal(tasks.get("repo-a")?.state, "succeeded");
  });

  it("refuses a batch with a strict task where bubblewrap cannot be had (exit 2), naming the task and why", async () => {
    assert.equal(run.code, 0, run.err);
    writeFileSync(
      path.join(project, "walled.json"),
      JSON.stringify({ tasks: [{ id: "walled", prompt: "[[reply never]]", sandbox: "strict" }] }),
    );
    const refused = runDrover(["run", "walled.json", "--state-dir", "state"], {
      cwd: project,
      // No bubblewrap for this drover: a strict task must be refused, never run weaker.
      env: { DROVER_BWRAP: "/nonexistent/bwrap" },
    });
    assert.equal(await refused.exited, 2, refused.stderr());
    assert.match(refused.stderr(), /tasks\[0\]\.sandbox/);
    assert.match(refused.stderr(), /walled: sandbox "strict" cannot be had: \/nonexistent\/bwrap not found/);
  });
});
