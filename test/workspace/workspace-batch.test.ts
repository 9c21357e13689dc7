import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { z } from "zod";
import { gitIn, isolateGitConfig, makeGitRepo, type TempGitRepo } from "../helpers/git-repo.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { runDrover } from "../helpers/run-cli.ts";

// Tasks with `repo:` through `drover run`, with the real OpenCode and the scripted model: each in
// its own worktree and branch, the main tree untouched, dependencies' commits carried over, a merge
// conflict blocking, and bad repositories refused before anything is created.

isolateGitConfig();

const Results = z.object({
  batch: z.object({ id: z.string() }).loose(),
  tasks: z.array(
    z
      .object({
        id: z.string(),
        status: z.string(),
        reason: z.string().optional(),
        workspace: z
          .object({
            branch: z.string(),
            base: z.string(),
            head: z.string().optional(),
            path: z.string(),
            commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
            diffStat: z
              .object({ files: z.number(), insertions: z.number(), deletions: z.number() })
              .optional(),
          })
          .optional(),
      })
      .loose(),
  ),
});

describe("tasks on a git repository (drover run)", () => {
  let git: TempGitRepo;
  let stateDir: string;
  beforeEach(() => {
    git = makeGitRepo({ "README.md": "# demo\n", "notes.txt": "original\n" });
    stateDir = path.join(git.dir, "state");
  });
  afterEach(() => {
    const left = processesOwnedBy(path.join(stateDir, "engines", "opencode"));
    git.cleanup();
    assert.deepEqual(left, [], "no OpenCode process outlives drover");
  });

  const run = async (yaml: string, extra: string[] = []) => {
    writeFileSync(path.join(git.dir, "tasks.yaml"), yaml);
    const cli = runDrover(["run", "tasks.yaml", "--state-dir", stateDir, ...extra], { cwd: git.dir });
    const code = await cli.exited;
    const resultsFile = path.join(git.dir, "results.json");
    const results = existsSync(resultsFile)
      ? Results.parse(JSON.parse(readFileSync(resultsFile, "utf8")))
      : undefined;
    return { code, cli, results };
  };

  it("gives tasks writing the same path a branch each, leaves the main tree untouched, and starts only the repository's servers", async () => {
    const head = gitIn(git.repo, "rev-parse", "HEAD");
    const { code, cli, results } = await run(
      [
        "defaults:",
        "  repo: repo",
        "tasks:",
        ...["a", "b", "c"].flatMap((id) => [`  - id: ${id}`, `    prompt: "[[write notes.txt from ${id}]]"`]),
      ].join("\n"),
      ["--json"],
    );
    assert.equal(code, 0, cli.stderr());
    const tasks = results?.tasks ?? [];
    const batchId = results?.batch.id ?? "";
    for (const id of ["a", "b", "c"]) {
      const task = tasks.find((t) => t.id === id);
      assert.equal(task?.status, "succeeded");
      const branch = `drover/${batchId}/${id}`;
      assert.equal(task?.workspace?.branch, branch);
      assert.equal(task?.workspace?.base, head);
      assert.equal(gitIn(git.repo, "show", `${branch}:notes.txt`), `from ${id}`);
      assert.equal(task?.workspace?.commits.length, 1);
      assert.deepEqual(task?.workspace?.diffStat, { files: 1, insertions: 1, deletions: 1 });
      assert.equal(task?.workspace?.head, gitIn(git.repo, "rev-parse", branch));
    }
    assert.equal(gitIn(git.repo, "rev-parse", "HEAD"), head, "main tree's HEAD unchanged");
    assert.equal(gitIn(git.repo, "status", "--porcelain"), "", "main tree clean");
    assert.equal(readFileSync(path.join(git.repo, "notes.txt"), "utf8"), "original\n");
    // Only repository tasks: the default server group (opencode-1) was never started.
    const homes = readdirSync(path.join(stateDir, "engines", "opencode"));
    assert.ok(
      homes.some((name) => /^opencode-home-repo-[0-9a-f]{6}-1$/.test(name)),
      homes.join(", "),
    );
    assert.ok(!homes.includes("opencode-1"), `no default server: ${homes.join(", ")}`);
    // All three name notes.txt: the footprints overlap, so they ran one after another, and said why.
    const waits = cli
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; action?: string; detail?: string })
      .filter((event) => event.type === "workspace" && event.action === "waiting");
    assert.ok(waits.length >= 1, "a task waited for another");
    assert.match(waits[0]?.detail ?? "", /waits for [abc]: both touch notes\.txt/);
  });

  it("starts a dependent task from its dependency's branch", async () => {
    const { code, cli, results } = await run(
      [
        "defaults:",
        "  repo: repo",
        "tasks:",
        "  - id: first",
        '    prompt: "[[write data/first.txt one]]"',
        "  - id: second",
        "    dependsOn: [first]",
        '    prompt: "[[bash cat data/first.txt > data/copy.txt]]"',
      ].join("\n"),
    );
    assert.equal(code, 0, cli.stderr());
    const second = `drover/${results?.batch.id}/second`;
    assert.equal(gitIn(git.repo, "show", `${second}:data/copy.txt`), "one");
    assert.equal(gitIn(git.repo, "show", `${second}:data/first.txt`), "one");
  });

  it("blocks a task whose dependencies' branches conflict, naming the paths", async () => {
    const { code, results } = await run(
      [
        "defaults:",
        "  repo: repo",
        "tasks:",
        "  - id: left",
        '    prompt: "[[write notes.txt left]]"',
        "  - id: right",
        '    prompt: "[[write notes.txt right]]"',
        "  - id: both",
        "    dependsOn: [left, right]",
        '    prompt: "[[reply merged]]"',
      ].join("\n"),
    );
    assert.equal(code, 1);
    const both = results?.tasks.find((task) => task.id === "both");
    assert.equal(both?.status, "blocked");
    assert.match(both?.reason ?? "", /notes\.txt/);
    assert.equal(results?.tasks.find((task) => task.id === "left")?.status, "succeeded");
  });

  it("refuses a repo that is not a git repository, a base that does not exist and a dirty tree with requireClean (exit 2, nothing created)", async () => {
    writeFileSync(path.join(git.repo, "notes.txt"), "edited, not committed\n");
    writeFileSync(
      path.join(git.dir, "drover.json"),
      JSON.stringify({ repos: { repo: { requireClean: true } } }),
    );
    const { code, cli } = await run(
      [
        "tasks:",
        "  - id: nogit",
        "    repo: .",
        '    prompt: "x"',
        "  - id: nobase",
        "    repo: repo",
        "    base: no-such-branch",
        '    prompt: "x"',
        "  - id: dirty",
        "    repo: repo",
        '    prompt: "x"',
      ].join("\n"),
    );
    assert.equal(code, 2, cli.stderr());
    const err = cli.stderr();
    assert.match(err, /tasks\[0\]\.repo.*nogit.*not a git repository/);
    assert.match(err, /tasks\[1\]\.base.*nobase.*no-such-branch/);
    assert.match(err, /tasks\[2\]\.repo.*dirty.*uncommitted changes/);
    assert.equal(gitIn(git.repo, "branch", "--list", "drover/*"), "", "no branch created");
    assert.ok(!existsSync(path.join(stateDir, "worktrees")), "no worktree created");
  });
});
