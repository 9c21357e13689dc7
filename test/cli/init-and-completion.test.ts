import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parse } from "yaml";
import { readConfigText } from "../../src/config/load.ts";
import { DroverConfig } from "../../src/config/schema.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

describe("drover init, --help and completion (the CLI, as a user runs it)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let stateDir: string;
  const drover = async (args: string[], cwd = temp.dir) => {
    const run = runDrover(args, { cwd });
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  beforeEach(() => {
    temp = makeTempDir();
    stateDir = path.join(temp.dir, "project", ".drover");
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    temp.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });

  it("init writes a commented drover.json and a commented tasks.yaml that run as written", async () => {
    const project = path.join(temp.dir, "project");
    const init = await drover(["init", "project"]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /drover run tasks\.yaml/, "says what to do next");
    const configText = readFileSync(path.join(project, "drover.json"), "utf8");
    assert.match(configText, /^\s*\/\/ /m, "drover.json explains its settings in comments");
    const read = readConfigText(configText);
    assert.ok("value" in read, "drover reads its commented drover.json");
    const config = read.value as Record<string, unknown>;
    assert.equal(config.$schema, "./node_modules/drover/schema/drover.schema.json");
    assert.ok(DroverConfig.safeParse(config).success, "drover.json passes drover's own config schema");
    const tasks = readFileSync(path.join(project, "tasks.yaml"), "utf8");
    assert.match(tasks, /^# A drover task file/, "the task file explains itself in comments");
    assert.ok(parse(tasks).tasks.length >= 2);

    const run = await drover(["run", "tasks.yaml", "--json"], project);
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    assert.match(readFileSync(path.join(project, "out", "summary.txt"), "utf8"), /Hello from drover!/);
  });

  it("init refuses to overwrite existing files unless --force, and then writes nothing", async () => {
    writeFileSync(path.join(temp.dir, "drover.json"), '{"model": "mine/own"}\n');
    const refused = await drover(["init"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /drover\.json exists already; nothing was written \(--force overwrites\)/);
    assert.equal(readFileSync(path.join(temp.dir, "drover.json"), "utf8"), '{"model": "mine/own"}\n');
    assert.equal(existsSync(path.join(temp.dir, "tasks.yaml")), false, "all or nothing");
    const forced = await drover(["init", "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout).overwritten, [path.join(temp.dir, "drover.json")]);
    const rewritten = readConfigText(readFileSync(path.join(temp.dir, "drover.json"), "utf8"));
    assert.equal("value" in rewritten && rewritten.value.model, "drover/scripted");
  });

  it("every subcommand of runner, memory and mail has a one-line description in --help", async () => {
    for (const group of ["runner", "memory", "mail"]) {
      const help = await drover([group, "--help"]);
      assert.equal(help.code, 0);
      const commands = help.stdout.split("Commands:\n")[1] ?? "";
      const entries = commands.split("\n").filter((line) => /^ {2}\S/.test(line));
      assert.ok(entries.length >= 6, `${group} lists its subcommands`);
      for (const entry of entries)
        assert.match(entry, /^ {2}\S.*\S {2,}\S/, `${group}: "${entry.trim()}" has a description`);
    }
  });

  it("completion bash completes commands, subcommands and options of the current program", async () => {
    const script = await drover(["completion", "bash"]);
    assert.equal(script.code, 0, script.stderr);
    const file = path.join(temp.dir, "drover.bash");
    writeFileSync(file, script.stdout);
    const complete = (words: string) =>
      spawnSync(
        "bash",
        [
          "-c",
          `source "$1"; COMP_WORDS=(${words}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _drover_completion; echo "\${COMPREPLY[*]}"`,
          "test",
          file,
        ],
        { encoding: "utf8" },
      );
    const bash = complete("drover ''");
    assert.equal(bash.error, undefined, "bash runs the completion script");
    assert.equal(bash.status, 0, bash.stderr);
    for (const command of ["run", "runner", "mail", "init", "completion"])
      assert.ok(bash.stdout.trim().split(" ").includes(command), `top level offers ${command}`);
    assert.equal(complete("drover runner de").stdout.trim(), "destroy");
    assert.match(complete("drover runner destroy --").stdout, /--yes/);
    assert.match(complete("drover mail send --ext").stdout, /^--external-sender$/m);
    assert.equal(complete("drover completion ''").stdout.trim(), "bash zsh");
  });

  it("completion zsh describes subcommands and options (checked in a real zsh)", async () => {
    const script = await drover(["completion", "zsh"]);
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /^#compdef drover/);
    const file = path.join(temp.dir, "_drover");
    writeFileSync(file, script.stdout);
    // Stand-ins for zsh's completion functions print what they were given.
    const complete = (words: string) =>
      spawnSync(
        "zsh",
        [
          "-f",
          "-c",
          `compdef() { :; }; _describe() { print -r -l -- "\${(@P)4}"; }; _files() { print FILES; }
           compadd() { shift; print -r -l -- "$@"; }
           source "$1"; words=(${words}); CURRENT=\${#words}; PREFIX="\${words[CURRENT]}"; _drover`,
          "test",
          file,
        ],
        { encoding: "utf8" },
      );
    const zsh = complete("drover runner ''");
    // .ci/run installs zsh (Debian's package) when it is missing: this test never skips.
    assert.equal(zsh.error, undefined, "zsh runs the completion script (apt-get install zsh)");
    assert.equal(zsh.status, 0, zsh.stderr);
    assert.match(zsh.stdout, /^destroy:delete a runner/m);
    assert.match(complete("drover runner destroy --").stdout, /^--yes:do not ask/m);
    assert.equal(complete("drover run --config ''").stdout.trim(), "FILES");
  });

  it("completion --help says how to install the script", async () => {
    const help = await drover(["completion", "--help"]);
    assert.equal(help.code, 0);
    assert.match(
      help.stdout,
      /drover completion bash > ~\/\.local\/share\/bash-completion\/completions\/drover/,
    );
    assert.match(help.stdout, /drover completion zsh > "\$\{fpath\[1\]\}\/_drover"/);
  });
});
