import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

// How a GitHub token reaches git and `gh` without being written into a command line: git asks a
// credential helper for the remote's origin, the helper prints the token from where drover put it
// (an environment variable of one git command, or a file in an agent server's home).

/** The username GitHub expects with an installation token over HTTPS. */
const tokenUser = "x-access-token";

/** `https://host[:port]` of an HTTP(S) remote URL; undefined for ssh, scp-like or local remotes. */
export function httpOriginOf(remoteUrl: string | undefined): string | undefined {
  if (!remoteUrl) return undefined;
  try {
    const url = new URL(remoteUrl.trim());
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** A credential helper (git's `!` shell form) that answers `get` with the token from `source`. */
function helperReading(source: string): string {
  return `!f() { test "$1" = get && echo username=${tokenUser} && echo "password=${source}"; }; f`;
}

/**
 * Environment for ONE git command (a push) that authenticates to `origin` with `token`: the token
 * is in that process's environment only (readable by you, not in `ps`), and the helper replaces
 * any other for that origin.
 */
export function gitTokenEnv(origin: string, token: string): Record<string, string> {
  const key = `credential.${origin}.helper`;
  return {
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: "",
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: helperReading("$DROVER_GIT_TOKEN"),
    DROVER_GIT_TOKEN: token,
  };
}

/** The HOME and config folder of an agent's server (what its git and `gh` read). */
export interface AgentHome {
  HOME: string;
  XDG_CONFIG_HOME: string;
}

const marker = "# drover: GitHub token for this server's repository";

function tokenFile(home: AgentHome): string {
  return path.join(home.XDG_CONFIG_HOME, "drover", "github-token");
}

/**
 * Gives an agent server's git and `gh` the token for `origin`: the token in a file of its home
 * (mode 0600), `gh`'s hosts.yml naming it, and a credential helper in its `.gitconfig` that reads
 * the file. A server outlives a task, so the file is replaced (another live token of the same
 * repository) or removed (none left) without restarting the server.
 */
export function writeAgentGitCredentials(home: AgentHome, origin: string, token: string): void {
  const file = tokenFile(home);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const host = new URL(origin).host;
  const ghDir = path.join(home.XDG_CONFIG_HOME, "gh");
  mkdirSync(ghDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(ghDir, "hosts.yml"),
    `${host}:\n    oauth_token: ${token}\n    user: ${tokenUser}\n    git_protocol: https\n`,
    { mode: 0o600 },
  );
  const gitconfig = path.join(home.HOME, ".gitconfig");
  let current = "";
  try {
    current = readFileSync(gitconfig, "utf8");
  } catch {
    // none yet
  }
  const section = `[credential "${origin}"]`;
  if (current.includes(section)) return;
  const helper = helperReading(`$(cat '${file}' 2>/dev/null)`)
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"');
  writeFileSync(
    gitconfig,
    `${current}${current && !current.endsWith("\n") ? "\n" : ""}${marker}\n${section}\n\thelper =\n\thelper = "${helper}"\n`,
  );
}

/** Takes the token away from an agent server: its file and `gh`'s hosts.yml are removed. */
export function removeAgentGitCredentials(home: AgentHome): void {
  rmSync(tokenFile(home), { force: true });
  rmSync(path.join(home.XDG_CONFIG_HOME, "gh", "hosts.yml"), { force: true });
}
