import { execFileSync } from "node:child_process";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "./temp-dir.ts";

/**
 * Makes git in this test process ignore the user's and the system's config: no identity, no
 * signing, no aliases — as on a fresh machine. Each test file runs in its own process.
 */
export function isolateGitConfig(): void {
  process.env.GIT_CONFIG_GLOBAL = "/dev/null";
  process.env.GIT_CONFIG_NOSYSTEM = "1";
}

/** Runs git in `cwd` and returns its trimmed output; throws on failure (tests only). */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** Commits `paths` (default: everything) in `cwd` as a test author, since the isolated config has no identity. */
export function commitAll(cwd: string, message: string, paths: string[] = ["--all"]): string {
  gitIn(cwd, "add", ...paths);
  gitIn(cwd, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "--quiet", "-m", message);
  return gitIn(cwd, "rev-parse", "HEAD");
}

/** Writes `files` (relative path → content) under `dir`, making folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
}

/** A temp git repository on `main` with one commit of `files`, and a folder for worktrees beside it. */
export interface TempGitRepo {
  /** The repository's main tree. */
  repo: string;
  /** An empty folder outside the repository, for worktrees. */
  root: string;
  /** The temp folder holding both. */
  dir: string;
  /** The initial commit. */
  initial: string;
  cleanup(): void;
}

/** Makes a temp repository (see TempGitRepo); call `isolateGitConfig()` first for a fresh-machine git. */
export function makeGitRepo(
  files: Record<string, string> = { "README.md": "# demo\n", ".gitignore": "ignored/\n" },
): TempGitRepo {
  const temp = makeTempDir("drover-git-");
  const dir = realpathSync(temp.dir);
  const repo = path.join(dir, "repo");
  const root = path.join(dir, "worktrees");
  mkdirSync(repo);
  mkdirSync(root);
  gitIn(repo, "init", "--quiet", "--initial-branch=main");
  writeFiles(repo, files);
  const initial = commitAll(repo, "initial commit");
  return { repo, root, dir, initial, cleanup: temp.cleanup };
}
