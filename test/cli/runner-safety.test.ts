import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { droverBin, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const userAgent = `---
description: My own reviewer   # a comment drover would not keep
mode: primary
color: "#ff0000"
---

Review like I do.
`;

describe("runner safety (the CLI, as a user runs it)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let project: string;
  const drover = async (...args: string[]) => {
    const run = runDrover([...args, "--state-dir", path.join(temp.dir, "state")], { cwd: temp.dir });
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const agentFile = (name: string) => path.join(project, ".opencode", "agents", `${name}.md`);
  beforeEach(() => {
    temp = makeTempDir();
    project = path.join(temp.dir, "project");
    mkdirSync(project);
  });
  afterEach(() => temp.cleanup());

  it("destroying an imported runner keeps the agent file the user wrote, byte for byte", async () => {
    mkdirSync(path.dirname(agentFile("mine")), { recursive: true });
    writeFileSync(agentFile("mine"), userAgent);
    const imported = await drover("runner", "import", project);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported mine/);
    assert.equal(readFileSync(agentFile("mine"), "utf8"), userAgent, "import does not rewrite the file");
    const destroyed = await drover("runner", "destroy", "mine", "--yes");
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.match(destroyed.stdout, /kept .*mine\.md: drover did not write it/);
    assert.equal(readFileSync(agentFile("mine"), "utf8"), userAgent);
    assert.equal((await drover("runner", "status", "mine")).code, 1, "the runner itself is gone");
  });

  it("a runner names its engine; an unknown engine is refused, naming the known ones", async () => {
    const created = await drover("runner", "create", "eng", "--engine", "opencode", "--no-check", "--json");
    assert.equal(created.code, 0, created.stderr);
    assert.equal(
      (JSON.parse(created.stdout) as { settings: { engine?: string } }).settings.engine,
      "opencode",
    );
    const refused = await drover("runner", "create", "bad", "--engine", "vim", "--no-check");
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /--engine: unknown engine "vim" \(engines: opencode, opencode-cli, claude, codex, shell\)/,
    );
    assert.equal((await drover("runner", "status", "bad")).code, 1, "nothing was created");
  });

  it("a runner keeps its sandbox profile, an edit changes it; an unknown profile is refused, naming the known ones", async () => {
    const created = await drover("runner", "create", "box", "--sandbox", "none", "--no-check", "--json");
    assert.equal(created.code, 0, created.stderr);
    const settingsOf = (out: string) => (JSON.parse(out) as { settings: { sandbox?: string } }).settings;
    assert.equal(settingsOf(created.stdout).sandbox, "none");
    const edited = await drover("runner", "edit", "box", "--sandbox", "strict", "--no-check", "--json");
    assert.equal(edited.code, 0, edited.stderr);
    assert.equal(settingsOf(edited.stdout).sandbox, "strict");
    const refused = await drover("runner", "create", "bad", "--sandbox", "jail", "--no-check");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--sandbox: unknown profile "jail" \(profiles: none, home, strict\)/);
    assert.equal((await drover("runner", "status", "bad")).code, 1, "nothing was created");
  });

  it("creating a runner over a user's agent file leaves the file alone and says so", async () => {
    mkdirSync(path.dirname(agentFile("taken")), { recursive: true });
    writeFileSync(agentFile("taken"), userAgent);
    const created = await drover("runner", "create", "taken", "--dir", project, "--description", "other");
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /note: left .*taken\.md as it is \(drover did not write it\)/);
    assert.equal(readFileSync(agentFile("taken"), "utf8"), userAgent);
  });

  it("destroy deletes the agent file drover wrote, but keeps it once someone edited it", async () => {
    assert.equal((await drover("runner", "create", "clean", "--dir", project)).code, 0);
    assert.equal((await drover("runner", "create", "touched", "--dir", project)).code, 0);
    assert.match(readFileSync(agentFile("clean"), "utf8"), /^---\n# Written by drover for runner "clean"/);
    writeFileSync(agentFile("touched"), `${readFileSync(agentFile("touched"), "utf8")}My extra rule.\n`);

    const clean = await drover("runner", "destroy", "clean", "--yes", "--json");
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(existsSync(agentFile("clean")), false, "drover's own, unchanged file goes");
    assert.equal(JSON.parse(clean.stdout).agentFile.removed, true);

    const touched = await drover("runner", "destroy", "touched", "--yes");
    assert.equal(touched.code, 0, touched.stderr);
    assert.match(touched.stdout, /kept .*touched\.md: it was edited since drover wrote it/);
    assert.match(readFileSync(agentFile("touched"), "utf8"), /My extra rule\./);
  });

  it("without a terminal, destroy refuses unless --yes is given (exit 2) and keeps the runner", async () => {
    assert.equal((await drover("runner", "create", "keepme", "--dir", project)).code, 0);
    const refused = await drover("runner", "destroy", "keepme");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /runner destroy keepme: .*not a terminal; add --yes/);
    assert.equal((await drover("runner", "status", "keepme")).code, 0, "the runner is still there");
    assert.ok(existsSync(agentFile("keepme")));
  });

  it("on a terminal, destroy asks: n keeps the runner, y destroys it", async () => {
    // util-linux `script` gives a pseudo-terminal; .ci/run installs it when missing, so this never skips.
    assert.equal(spawnSync("script", ["--version"]).status, 0, "util-linux script is installed");
    assert.equal((await drover("runner", "create", "asked", "--dir", project)).code, 0);
    const answer = async (reply: string) => {
      // `script` gives drover a pseudo-terminal; the answer is typed once the question is shown.
      const command = [process.execPath, droverBin, "runner", "destroy", "asked"]
        .concat(["--state-dir", path.join(temp.dir, "state")])
        .map((word) => `'${word}'`)
        .join(" ");
      const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: temp.dir });
      let screen = "";
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          screen += chunk.toString();
          if (screen.includes("[y/N]")) resolve();
        });
        void exited.then(() => reject(new Error(`exited without asking:\n${screen}`)));
      });
      child.stdin.write(`${reply}\n`);
      const code = await exited;
      return { code, screen };
    };
    const declined = await answer("n");
    assert.match(declined.screen, /Destroy runner "asked".*\r?\n.*asked\.md goes too \(drover wrote it/);
    assert.match(declined.screen, /kept runner asked/);
    assert.equal(declined.code, 1);
    assert.ok(existsSync(agentFile("asked")));
    const accepted = await answer("y");
    assert.match(accepted.screen, /destroyed runner asked/);
    assert.equal(accepted.code, 0);
    assert.equal(existsSync(agentFile("asked")), false);
  });

  it("runner import of a missing directory, or one without agent files, is an error naming it (exit 2)", async () => {
    const missing = await drover("runner", "import", path.join(temp.dir, "nowhere"));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /directory does not exist: .*nowhere/);
    const empty = await drover("runner", "import", project);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no OpenCode agent files in .*project/);
  });
});
