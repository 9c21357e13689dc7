import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { summarizeBranch } from "../../src/workspace/branch-summary.ts";
import { commitLeftovers, commitText } from "../../src/workspace/commit-result.ts";
import { checkRepo } from "../../src/workspace/repo-checks.ts";
import { openWorktree } from "../../src/workspace/task-worktree.ts";
import {
  commitAll,
  gitIn,
  isolateGitConfig,
  makeGitRepo,
  type TempGitRepo,
  writeFiles,
} from "../helpers/git-repo.ts";

isolateGitConfig();

describe("results are commits", () => {
  let fixture: TempGitRepo;
  before(() => {
    fixture = makeGitRepo({
      ".gitignore": "ignored/\n",
      "a.txt": "one\ntwo\nthree\n",
      "gone.txt": "bye\n",
    });
  });
  after(() => fixture.cleanup());

  it("commits what the agent left, keeps its own commits, and sums up the branch", async () => {
    const { repo, root } = fixture;
    writeFiles(repo, { ".env": "SECRET=1\n" }); // not ignored: copied in, it must stay out of the commit
    const opened = await openWorktree({ repo, root, batchId: "bat_1", taskId: "t", copy: [".env"] });
    assert.equal(opened.status, "ready");
    if (opened.status !== "ready") return;
    const { path: worktree, branch, baseCommit } = opened;

    writeFiles(worktree, { "agent.txt": "committed by the agent\n" });
    const agentCommit = commitAll(worktree, "Agent's own commit", ["agent.txt"]);
    writeFiles(worktree, {
      "a.txt": "one\n2\nthree\nfour\n",
      "new/file.txt": "x\ny\n",
      "ignored/cache": "junk\n",
    });
    rmSync(path.join(worktree, "gone.txt"));

    const summary =
      "Add the feature the task asked for, with a subject much longer than seventy-two characters\n\n# Details\nIt works.";
    const committed = await commitLeftovers({ path: worktree, message: summary });
    assert.equal(committed.ok, true);
    const sha = committed.ok ? committed.sha : undefined;
    assert.ok(sha);
    assert.equal(gitIn(worktree, "rev-parse", "HEAD^"), agentCommit);
    assert.equal(gitIn(worktree, "status", "--porcelain"), "?? .env");
    assert.equal(
      gitIn(worktree, "show", "--format=", "--name-status", "HEAD"),
      "M\ta.txt\nD\tgone.txt\nA\tnew/file.txt",
    );
    const subject = gitIn(worktree, "log", "-1", "--format=%s");
    assert.ok(subject.length <= 72, subject);
    assert.match(subject, /^Add the feature .*…$/);
    assert.match(gitIn(worktree, "log", "-1", "--format=%b"), /^….*characters\n\n# Details\nIt works\.$/);
    assert.equal(gitIn(worktree, "log", "-1", "--format=%an <%ae>"), "drover <drover@localhost>");

    assert.deepEqual(await commitLeftovers({ path: worktree, message: "again" }), {
      ok: true,
      sha: undefined,
    });

    const summed = await summarizeBranch({ path: worktree, baseCommit, branch });
    assert.deepEqual(summed, {
      ok: true,
      summary: {
        branch,
        base: baseCommit,
        head: sha,
        commits: [
          { sha: agentCommit, subject: "Agent's own commit" },
          { sha, subject },
        ],
        // agent.txt +1, a.txt +2 −1, gone.txt −1, new/file.txt +2
        diffStat: { files: 4, insertions: 5, deletions: 2 },
      },
    });
    assert.equal(gitIn(repo, "status", "--porcelain"), "?? .env");
  });

  it("sums up a branch with no commits of its own as empty", async () => {
    const { repo, root } = fixture;
    const opened = await openWorktree({ repo, root, batchId: "bat_2", taskId: "t" });
    if (opened.status !== "ready") assert.fail(JSON.stringify(opened));
    const summed = await summarizeBranch({
      path: opened.path,
      baseCommit: opened.baseCommit,
      branch: opened.branch,
    });
    assert.deepEqual(summed.ok && summed.summary.commits, []);
    assert.deepEqual(summed.ok && summed.summary.diffStat, { files: 0, insertions: 0, deletions: 0 });
    assert.deepEqual(
      await summarizeBranch({ path: opened.path, baseCommit: opened.baseCommit, branch: "nope" }),
      {
        ok: false,
        message: "branch nope does not exist",
      },
    );
  });

  it("keeps a short message as it is and never leaves an empty subject", () => {
    assert.deepEqual(commitText("Fix the bug\n\nBecause."), { subject: "Fix the bug", body: "Because." });
    assert.equal(commitText("  \n").subject, "Changes left uncommitted by the agent");
  });
});

describe("checking a repository before a task runs on it", () => {
  let fixture: TempGitRepo;
  before(() => {
    fixture = makeGitRepo();
  });
  after(() => fixture.cleanup());

  it("accepts a repository with a base that exists", async () => {
    assert.deepEqual(await checkRepo({ repo: fixture.repo }), []);
    assert.deepEqual(await checkRepo({ repo: fixture.repo, base: "main", requireClean: true }), []);
    assert.deepEqual(await checkRepo({ repo: fixture.repo, base: fixture.initial.slice(0, 10) }), []);
  });

  it("names a folder that is not a git repository", async () => {
    const problems = await checkRepo({ repo: fixture.root });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.field, "repo");
    assert.match(problems[0]?.message ?? "", new RegExp(`^${fixture.root} is not a git repository`));
    const missing = path.join(fixture.dir, "missing");
    assert.deepEqual(await checkRepo({ repo: missing }), [
      { field: "repo", message: `${missing} does not exist or is not a folder` },
    ]);
  });

  it("names a base that does not exist", async () => {
    assert.deepEqual(await checkRepo({ repo: fixture.repo, base: "no-such-branch" }), [
      {
        field: "base",
        message: `base "no-such-branch" does not name a commit in ${fixture.repo} (no branch, tag or commit by that name)`,
      },
    ]);
  });

  it("refuses a dirty main tree only when the base is HEAD and a clean one is required", async () => {
    writeFileSync(path.join(fixture.repo, "README.md"), "changed\n");
    writeFiles(fixture.repo, { "notes.txt": "new\n" });
    const problems = await checkRepo({ repo: fixture.repo, requireClean: true });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.field, "repo");
    assert.match(
      problems[0]?.message ?? "",
      /has uncommitted changes \(README\.md, notes\.txt\) and base is HEAD/,
    );
    assert.deepEqual(await checkRepo({ repo: fixture.repo }), []);
    assert.deepEqual(await checkRepo({ repo: fixture.repo, base: "main", requireClean: true }), []);
  });
});
