import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BranchMergeQueue } from "../../src/workspace/branch-merge-queue.ts";
import {
  commitAll,
  gitIn,
  isolateGitConfig,
  makeGitRepo,
  type TempGitRepo,
  writeFiles,
} from "../helpers/git-repo.ts";

isolateGitConfig();

/** A branch `name` off main's first commit, adding `files` in one commit. */
function branchWith(repo: string, name: string, files: Record<string, string>): void {
  gitIn(repo, "switch", "--quiet", "-c", name, "main");
  writeFiles(repo, files);
  commitAll(repo, `work on ${name}`);
  gitIn(repo, "switch", "--quiet", "-");
}

describe("the merge queue (deliver: merge)", () => {
  let git: TempGitRepo;
  beforeEach(() => {
    git = makeGitRepo({ "README.md": "# demo\n", "shared.txt": "base\n" });
    gitIn(git.repo, "branch", "integration");
    // The user works on another branch: the queue moves `integration`, which no tree has checked out.
    gitIn(git.repo, "switch", "--quiet", "-c", "mine");
  });
  afterEach(() => git.cleanup());

  const untouched = (head: string) => {
    assert.equal(gitIn(git.repo, "status", "--porcelain"), "", "the user's tree stays clean");
    assert.equal(gitIn(git.repo, "rev-parse", "HEAD"), head, "the user's HEAD stays where it was");
  };

  it("merges branches submitted at once one at a time, in order, each as one merge commit", async () => {
    const head = gitIn(git.repo, "rev-parse", "HEAD");
    for (const name of ["t1", "t2", "t3"]) branchWith(git.repo, name, { [`${name}.txt`]: `${name}\n` });
    const queue = new BranchMergeQueue({ root: git.root });
    const results = await Promise.all(
      ["t1", "t2", "t3"].map((branch) =>
        queue.merge({ repo: git.repo, branch, target: "integration", message: `Merge ${branch}` }),
      ),
    );
    assert.ok(
      results.every((result) => result.ok),
      JSON.stringify(results),
    );
    const subjects = gitIn(git.repo, "log", "--first-parent", "--format=%s", "integration").split("\n");
    assert.deepEqual(subjects.slice(0, 3), ["Merge t3", "Merge t2", "Merge t1"]);
    for (const name of ["t1", "t2", "t3"])
      assert.equal(gitIn(git.repo, "show", `integration:${name}.txt`), name);
    assert.equal(results[2]?.ok && results[2].mergeCommit, gitIn(git.repo, "rev-parse", "integration"));
    untouched(head);
  });

  it("undoes a merge whose gate fails, with the gate's output, and merges the next one as if it never was", async () => {
    const head = gitIn(git.repo, "rev-parse", "HEAD");
    branchWith(git.repo, "red", { "red.txt": "red\n" });
    branchWith(git.repo, "green", { "green.txt": "green\n" });
    const marker = path.join(git.dir, "gate-ran-once");
    // Fails the first time it runs (no marker yet), passes after.
    const gate = `if [ -e ${marker} ]; then echo all good; else touch ${marker}; echo "1 test failed" >&2; exit 3; fi`;
    const lines: string[] = [];
    const queue = new BranchMergeQueue({ root: git.root });
    const before = gitIn(git.repo, "rev-parse", "integration");
    const [red, green] = await Promise.all([
      queue.merge({
        repo: git.repo,
        branch: "red",
        target: "integration",
        gate,
        message: "Merge red",
        onOutput: (l) => lines.push(l),
      }),
      queue.merge({ repo: git.repo, branch: "green", target: "integration", gate, message: "Merge green" }),
    ]);
    assert.equal(red?.ok, false);
    assert.equal(!red?.ok && red?.stage, "gate");
    assert.match(!red?.ok ? red.message : "", /gate ".*" exited with code 3; last output:\n1 test failed/);
    assert.ok(lines.includes("1 test failed"), "the gate's output is streamed");
    assert.equal(green?.ok, true);
    assert.equal(
      gitIn(git.repo, "rev-parse", "integration^1"),
      before,
      "green merged onto the target as it was before red",
    );
    assert.equal(gitIn(git.repo, "show", "integration:green.txt"), "green");
    assert.throws(() => gitIn(git.repo, "show", "integration:red.txt"), "red's merge was undone");
    untouched(head);
  });

  it("reports a conflict with the target with its paths, leaving the target where it was", async () => {
    branchWith(git.repo, "one", { "shared.txt": "one\n" });
    branchWith(git.repo, "two", { "shared.txt": "two\n" });
    const queue = new BranchMergeQueue({ root: git.root });
    const first = await queue.merge({
      repo: git.repo,
      branch: "one",
      target: "integration",
      message: "Merge one",
    });
    assert.equal(first.ok, true);
    const after = gitIn(git.repo, "rev-parse", "integration");
    const second = await queue.merge({
      repo: git.repo,
      branch: "two",
      target: "integration",
      message: "Merge two",
    });
    assert.equal(second.ok, false);
    assert.deepEqual(!second.ok && second.paths, ["shared.txt"]);
    assert.equal(gitIn(git.repo, "rev-parse", "integration"), after);
  });

  it("refuses to move a branch a working tree has checked out", async () => {
    branchWith(git.repo, "t1", { "t1.txt": "t1\n" });
    const queue = new BranchMergeQueue({ root: git.root });
    const result = await queue.merge({ repo: git.repo, branch: "t1", target: "mine", message: "Merge t1" });
    assert.equal(result.ok, false);
    assert.match(
      !result.ok ? result.message : "",
      /mine is checked out in .*repo: .*never touches a working tree/,
    );
    assert.ok(!existsSync(path.join(git.root, "_merge")), "nothing was made");
    writeFileSync(path.join(git.repo, "README.md"), "# demo\n");
  });
});
