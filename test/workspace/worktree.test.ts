import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openWorktree, type WorktreeOpened } from "../../src/workspace/task-worktree.ts";
import { safeRefName } from "../../src/workspace/worktree-record.ts";
import {
  commitAll,
  gitIn,
  isolateGitConfig,
  makeGitRepo,
  type TempGitRepo,
  writeFiles,
} from "../helpers/git-repo.ts";

isolateGitConfig();

function ready(opened: WorktreeOpened): Extract<WorktreeOpened, { status: "ready" }> {
  assert.equal(opened.status, "ready", JSON.stringify(opened));
  return opened as Extract<WorktreeOpened, { status: "ready" }>;
}

describe("a worktree per task", () => {
  let fixture: TempGitRepo;
  before(() => {
    fixture = makeGitRepo({ "README.md": "# demo\n", "shared.txt": "base\n", ".gitignore": ".env\n" });
  });
  after(() => fixture.cleanup());

  it("gives two tasks writing the same path two branches, and leaves the main tree untouched", async () => {
    const { repo, root } = fixture;
    const mainHead = gitIn(repo, "rev-parse", "HEAD");
    const a = ready(await openWorktree({ repo, root, batchId: "bat_1", taskId: "a" }));
    const b = ready(await openWorktree({ repo, root, batchId: "bat_1", taskId: "b" }));
    assert.deepEqual([a.branch, b.branch], ["drover/bat_1/a", "drover/bat_1/b"]);
    assert.deepEqual([a.path, b.path], [path.join(root, "bat_1", "a"), path.join(root, "bat_1", "b")]);
    assert.deepEqual([a.baseCommit, b.baseCommit, a.reused], [mainHead, mainHead, false]);

    writeFileSync(path.join(a.path, "shared.txt"), "from a\n");
    writeFileSync(path.join(b.path, "shared.txt"), "from b\n");
    commitAll(a.path, "a writes");
    commitAll(b.path, "b writes");

    assert.equal(gitIn(repo, "show", `${a.branch}:shared.txt`), "from a");
    assert.equal(gitIn(repo, "show", `${b.branch}:shared.txt`), "from b");
    assert.equal(gitIn(repo, "status", "--porcelain"), "");
    assert.equal(gitIn(repo, "rev-parse", "HEAD"), mainHead);
    assert.equal(gitIn(repo, "symbolic-ref", "--short", "HEAD"), "main");
    assert.equal(readFileSync(path.join(repo, "shared.txt"), "utf8"), "base\n");
  });

  it("reuses a worktree opened before, as it is, without running setup again", async () => {
    const { repo, root } = fixture;
    const lines: string[] = [];
    const plan = {
      repo,
      root,
      batchId: "bat_2",
      taskId: "t",
      setup: "echo setting up",
      onOutput: (l: string) => lines.push(l),
    };
    const first = ready(await openWorktree(plan));
    writeFileSync(path.join(first.path, "work.txt"), "half done\n");
    writeFiles(repo, { "later.txt": "later\n" });
    commitAll(repo, "main moves on");

    const again = ready(await openWorktree(plan));
    assert.equal(again.reused, true);
    assert.equal(again.baseCommit, first.baseCommit);
    assert.equal(again.path, first.path);
    assert.deepEqual(lines, ["setting up"]);
    assert.equal(readFileSync(path.join(again.path, "work.txt"), "utf8"), "half done\n");
  });

  it("copies the allowed files in from the main tree when present", async () => {
    const { repo, root } = fixture;
    writeFiles(repo, { ".env": "TOKEN=1\n", "config/app.local.json": "{}\n", "config/app.json": "{}\n" });
    const opened = ready(
      await openWorktree({
        repo,
        root,
        batchId: "bat_3",
        taskId: "t",
        copy: [".env", "config/*.local.json", ".missing"],
      }),
    );
    assert.equal(readFileSync(path.join(opened.path, ".env"), "utf8"), "TOKEN=1\n");
    assert.equal(readFileSync(path.join(opened.path, "config/app.local.json"), "utf8"), "{}\n");
    assert.equal(existsSync(path.join(opened.path, "config/app.json")), false);
    assert.equal(existsSync(path.join(opened.path, ".missing")), false);
  });

  it("runs setup once with its output captured, and points package managers at the shared cache", async () => {
    const { repo, root, dir } = fixture;
    const lines: [string, string][] = [];
    const opened = ready(
      await openWorktree({
        repo,
        root,
        batchId: "bat_4",
        taskId: "t",
        setup: 'echo "cache=$npm_config_cache"; echo warn >&2; pwd',
        cacheDir: path.join(dir, "cache"),
        onOutput: (line, stream) => lines.push([line, stream]),
      }),
    );
    // The two streams are read separately: only the order within each is defined.
    const of = (stream: string) => lines.filter(([, from]) => from === stream).map(([line]) => line);
    assert.deepEqual(of("stdout"), [`cache=${path.join(dir, "cache", "npm")}`, opened.path]);
    assert.deepEqual(of("stderr"), ["warn"]);
  });

  it("fails a setup that exits non-zero, naming the command, its exit code and its last output", async () => {
    const { repo, root } = fixture;
    const setup = "echo installing; echo 'no lockfile' >&2; exit 3";
    const opened = await openWorktree({ repo, root, batchId: "bat_5", taskId: "t", setup });
    assert.equal(opened.status, "error");
    assert.match(
      opened.status === "error" ? opened.message : "",
      /setup "echo installing.*exit 3" exited with code 3/,
    );
    assert.match(opened.status === "error" ? opened.message : "", /installing\nno lockfile$/);

    // Asked again (a retry), the half-made worktree is made again and setup runs again.
    const fixed = ready(await openWorktree({ repo, root, batchId: "bat_5", taskId: "t", setup: "true" }));
    assert.equal(fixed.reused, false);
  });

  it("merges dependency branches in, so a task sees its dependency's commit", async () => {
    const { repo, root } = fixture;
    const dep = ready(await openWorktree({ repo, root, batchId: "bat_6", taskId: "1" }));
    writeFiles(dep.path, { "api.ts": "export const api = 1;\n" });
    const depCommit = commitAll(dep.path, "add api");

    const child = ready(
      await openWorktree({ repo, root, batchId: "bat_6", taskId: "1.2", dependencyBranches: [dep.branch] }),
    );
    assert.equal(child.branch, "drover/bat_6/1.2");
    assert.equal(readFileSync(path.join(child.path, "api.ts"), "utf8"), "export const api = 1;\n");
    gitIn(child.path, "merge-base", "--is-ancestor", depCommit, "HEAD");
    assert.equal(gitIn(child.path, "status", "--porcelain"), "");
  });

  it("reports a conflict between dependency branches with the paths, leaving no merge half done", async () => {
    const { repo, root } = fixture;
    const left = ready(await openWorktree({ repo, root, batchId: "bat_7", taskId: "left" }));
    const right = ready(await openWorktree({ repo, root, batchId: "bat_7", taskId: "right" }));
    writeFiles(left.path, { "shared.txt": "left\n" });
    writeFiles(right.path, { "shared.txt": "right\n" });
    commitAll(left.path, "left");
    commitAll(right.path, "right");

    const opened = await openWorktree({
      repo,
      root,
      batchId: "bat_7",
      taskId: "both",
      dependencyBranches: [left.branch, right.branch],
    });
    assert.deepEqual(opened, { status: "conflict", branch: right.branch, paths: ["shared.txt"] });
    const worktree = path.join(root, "bat_7", "both");
    assert.equal(gitIn(worktree, "status", "--porcelain"), "");
    assert.equal(existsSync(path.join(worktree, ".git")), true);
  });

  it("refuses a base that names no commit, and creates nothing", async () => {
    const { repo, root } = fixture;
    const opened = await openWorktree({ repo, root, batchId: "bat_8", taskId: "t", base: "no-such-branch" });
    assert.deepEqual(opened, {
      status: "error",
      message: `base "no-such-branch" does not name a commit in ${repo}`,
    });
    assert.equal(gitIn(repo, "branch", "--list", "drover/bat_8/*"), "");
    assert.equal(existsSync(path.join(root, "bat_8")), false);
  });

  it("starts from a named base branch", async () => {
    const { repo, root } = fixture;
    gitIn(repo, "branch", "release", fixture.initial);
    const opened = ready(await openWorktree({ repo, root, batchId: "bat_9", taskId: "t", base: "release" }));
    assert.equal(opened.baseCommit, fixture.initial);
    assert.equal(gitIn(opened.path, "rev-parse", "HEAD"), fixture.initial);
  });

  it("makes a worktree deleted by hand again on its branch, and refuses a folder in the way", async () => {
    const { repo, root } = fixture;
    const first = ready(await openWorktree({ repo, root, batchId: "bat_10", taskId: "t" }));
    writeFiles(first.path, { "kept.txt": "kept\n" });
    commitAll(first.path, "kept");
    rmSync(first.path, { recursive: true, force: true });
    const again = ready(await openWorktree({ repo, root, batchId: "bat_10", taskId: "t" }));
    assert.deepEqual([again.reused, again.baseCommit], [false, first.baseCommit]);
    assert.equal(readFileSync(path.join(again.path, "kept.txt"), "utf8"), "kept\n");

    writeFiles(root, { "bat_10/other/notes.txt": "mine\n" });
    const blocked = await openWorktree({ repo, root, batchId: "bat_10", taskId: "other" });
    assert.equal(blocked.status, "error");
    assert.match(blocked.status === "error" ? blocked.message : "", /other exists and is not a worktree of/);
    assert.equal(readFileSync(path.join(root, "bat_10/other/notes.txt"), "utf8"), "mine\n");
  });

  it("keeps ids git accepts and escapes the rest", () => {
    assert.equal(safeRefName("t12.3"), "t12.3");
    assert.equal(safeRefName("bat_0193abc"), "bat_0193abc");
    assert.match(safeRefName("a b..c~"), /^a-b\.c--[0-9a-f]{8}$/);
    assert.notEqual(safeRefName("a b"), safeRefName("a-b"));
    assert.match(safeRefName("x.lock"), /^x\.lock_-[0-9a-f]{8}$/);
  });
});
