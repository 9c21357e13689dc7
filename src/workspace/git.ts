import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** What one git command gave: its standard output, or its exit code and standard error. */
export type GitResult = { ok: true; stdout: string } | { ok: false; code: number; stderr: string };

/** Extra environment for one git command (merged over drover's git environment). */
export interface GitOptions {
  env?: Record<string, string>;
}

// Variables that point git at another repository, index or work tree: inherited from a git hook
// or a shell that exported them, they would make every command act on the wrong repository.
const repositoryVariables = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
];

/** The environment git runs with: never prompts, never follows a stray GIT_DIR. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", ...extra };
  for (const name of repositoryVariables) delete env[name];
  return env;
}

/** Runs `git <args>` in `cwd`; a non-zero exit is a result, not an exception. */
export async function git(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<GitResult> {
  try {
    const { stdout } = await execFileAsync("git", [...args], {
      cwd,
      env: gitEnv(options.env),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, stdout };
  } catch (error) {
    const failed = error as { code?: unknown; stderr?: unknown; message?: unknown };
    // A missing cwd or git binary rejects with a string code (ENOENT) and no stderr.
    const code = typeof failed.code === "number" ? failed.code : -1;
    const stderr =
      typeof failed.stderr === "string" && failed.stderr !== "" ? failed.stderr : String(failed.message);
    return { ok: false, code, stderr: stderr.trim() };
  }
}

/** The first line of a failed command's stderr, for messages. */
export function gitFailure(result: { stderr: string }): string {
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? "git failed";
}

/** The commit `rev` names, or undefined when it names none. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | undefined> {
  const result = await git(cwd, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]);
  return result.ok ? result.stdout.trim() : undefined;
}

/** The top folder of the working tree holding `dir`, or undefined when it is in none. */
export async function workTreeTop(dir: string): Promise<string | undefined> {
  const result = await git(dir, ["rev-parse", "--show-toplevel"]);
  return result.ok ? result.stdout.trim() : undefined;
}

/**
 * `-c` flags for commits drover makes itself: an identity when the repository has none (a fresh
 * machine), and no signing — a pinentry prompt would stall a headless run. (Callers also pass
 * `--no-verify`: a hook must not refuse the commit that keeps an agent's work.)
 */
export async function commitConfigArgs(cwd: string): Promise<string[]> {
  const args = ["-c", "commit.gpgSign=false"];
  const name = await git(cwd, ["config", "--get", "user.name"]);
  const email = await git(cwd, ["config", "--get", "user.email"]);
  if (!name.ok || name.stdout.trim() === "") args.push("-c", "user.name=drover");
  if (!email.ok || email.stdout.trim() === "") args.push("-c", "user.email=drover@localhost");
  return args;
}

/** Non-empty lines of a command's output. */
export function outputLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}
