import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openWorktree } from "../../src/workspace/task-worktree.ts";
import { collectWorkspaces } from "../../src/workspace/workspace-gc.ts";
import { listWorkspaces } from "../../src/workspace/workspace-list.ts";
import {
  commitAll,
  gitIn,
  isolateGitConfig,
  makeGitRepo,
  type TempGitRepo,
  writeFiles,
} from "../helpers/git-repo.ts";

isolateGitConfig();

const day = 24 * 60 * 60 * 1000;
const now = Date.UTC(2030, 0, 15);
const batchId = "bat_gc";

/** When each task ended, days before `now`; absent: still running. */
const endedDaysAgo: Record<string, number> = { merged: 0, dirty: 30, young: 1, old: 10 };
const isTaskEnded = (batch: string, task: string) =>
  batch === batchId && endedDaysAgo[task] !== undefined ? now - (endedDaysAgo[task] ?? 0) * day : undefined;

describe("workspace lifecycle", () => {
  let fixture: TempGitRepo;
  const paths: Record<string, string> = {};
  before(async () => {
    fixture = makeGitRepo({ "README.md": "# demo\n", ".gitignore": "node_modules/\n" });
    const { repo, root } = fixture;
    writeFiles(repo, { ".env": "TOKEN=1\n" }); // copied in, not ignored: must not make a worktree dirty
    for (const task of ["merged", "dirty", "young", "old", "running"]) {
      const opened = await openWorktree({
        repo,
        root,
        batchId,
        taskId: task,
        copy: [".env"],
        now: () => now - 20 * day,
      });
      if (opened.status !== "ready") assert.fail(JSON.stringify(opened));
      paths[task] = opened.path;
      writeFiles(opened.path, { [`${task}.txt`]: `${task}\n`, "node_modules/dep/index.js": "x\n" });
      commitAll(opened.path, `work of ${task}`, [`${task}.txt`]);
    }
    writeFiles(paths.dirty ?? "", { "dirty.txt": "changed, not committed\n" });
    gitIn(repo, "merge", "--quiet", "--ff-only", "drover/bat_gc/merged");
  });
  after(() => fixture.cleanup());

  it("lists every worktree with its branch, disk use, age, and whether it is dirty or merged", async () => {
    const entries = await listWorkspaces({ root: fixture.root });
    assert.deepEqual(
      entries.map((e) => [e.taskId, e.branch, e.dirty, e.merged, e.mergeTarget]),
      [
        ["dirty", "drover/bat_gc/dirty", true, false, "main"],
        ["merged", "drover/bat_gc/merged", false, true, "main"],
        ["old", "drover/bat_gc/old", false, false, "main"],
        ["running", "drover/bat_gc/running", false, false, "main"],
        ["young", "drover/bat_gc/young", false, false, "main"],
      ],
    );
    for (const entry of entries) {
      assert.equal(entry.batchId, batchId);
      assert.equal(entry.path, paths[entry.taskId]);
      assert.equal(entry.repo, fixture.repo);
      assert.equal(entry.createdAt, now - 20 * day);
      assert.ok(entry.diskBytes > 0);
      assert.equal(entry.head, gitIn(fixture.repo, "rev-parse", `drover/bat_gc/${entry.taskId}`));
    }
  });

  it("removes merged and long-ended worktrees, keeps dirty, young and running ones and unmerged branches", async () => {
    const { removed, kept } = await collectWorkspaces({ root: fixture.root, keepDays: 7, now, isTaskEnded });
    assert.deepEqual(
      removed.map((e) => [e.taskId, e.reason, e.branchDeleted]),
      [
        ["merged", "branch merged into main", true],
        ["old", "task ended 10.0 days ago", false],
      ],
    );
    assert.deepEqual(
      kept.map((e) => [e.taskId, e.reason]),
      [
        ["dirty", "has uncommitted changes (use force)"],
        ["running", "task has not ended"],
        ["young", "task ended 1.0 days ago, kept for 7"],
      ],
    );
    assert.equal(existsSync(paths.merged ?? ""), false);
    assert.equal(existsSync(paths.old ?? ""), false);
    assert.equal(existsSync(paths.young ?? ""), true);
    assert.equal(gitIn(fixture.repo, "branch", "--list", "drover/bat_gc/merged"), "");
    assert.match(gitIn(fixture.repo, "log", "-1", "--format=%s", "drover/bat_gc/old"), /work of old/);
    assert.equal(gitIn(fixture.repo, "worktree", "list").split("\n").length, 4); // main + dirty, running, young
    assert.equal(gitIn(fixture.repo, "status", "--porcelain"), "?? .env");
  });

  it("removes a dirty worktree when forced, keeping its branch", async () => {
    const { removed, kept } = await collectWorkspaces({
      root: fixture.root,
      keepDays: 7,
      now,
      force: true,
      isTaskEnded,
    });
    assert.deepEqual(
      removed.map((e) => [e.taskId, e.branchDeleted]),
      [["dirty", false]],
    );
    assert.deepEqual(
      kept.map((e) => e.taskId),
      ["running", "young"],
    );
    assert.equal(existsSync(paths.dirty ?? ""), false);
    assert.match(gitIn(fixture.repo, "log", "-1", "--format=%s", "drover/bat_gc/dirty"), /work of dirty/);
  });

  it("reopens a task whose worktree was collected on its kept branch", async () => {
    const { repo, root } = fixture;
    const opened = await openWorktree({ repo, root, batchId, taskId: "old" });
    if (opened.status !== "ready") assert.fail(JSON.stringify(opened));
    assert.equal(opened.reused, false);
    assert.equal(opened.baseCommit, fixture.initial);
    assert.ok(existsSync(path.join(opened.path, "old.txt")));
  });
});
