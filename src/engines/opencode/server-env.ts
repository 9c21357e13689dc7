import type { EngineHome } from "./engine-home.ts";

/** Picks the variables named by the allowlist (a trailing `*` matches a prefix; a leading `*` a suffix). */
export function allowlistedEnv(env: NodeJS.ProcessEnv, allowlist: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (allowlist.some((pattern) => matches(pattern, name))) out[name] = value;
  }
  return out;
}

function matches(pattern: string, name: string): boolean {
  if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return name.endsWith(pattern.slice(1));
  return pattern === name;
}

/**
 * The whole environment of one `opencode serve` child: allowlist, own HOME/XDG, config and password,
 * and the markers every process the server starts inherits: `DROVER_OWNER` (the engine root),
 * `DROVER_OWNER_PID` (this drover) and, added by spawnServer, `DROVER_SERVER_ID`. They are how
 * drover finds a server's tool processes, even those that left its process group.
 */
export function serverEnv(options: {
  parent: NodeJS.ProcessEnv;
  allowlist: readonly string[];
  home: EngineHome;
  config: Record<string, unknown>;
  password: string;
  ownerTag: string;
  /** drover's egress proxy; loopback (the model gateway, the server itself) stays direct. */
  proxyUrl?: string;
}): Record<string, string> {
  return {
    ...allowlistedEnv(options.parent, options.allowlist),
    ...options.home.env,
    ...(options.proxyUrl ? proxyVariables(options.proxyUrl) : {}),
    OPENCODE_CONFIG_CONTENT: JSON.stringify(options.config),
    OPENCODE_SERVER_PASSWORD: options.password,
    OPENCODE_SERVER_USERNAME: "opencode",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_CLIENT: "drover",
    DROVER_OWNER: options.ownerTag,
    DROVER_OWNER_PID: String(process.pid),
  };
}

/** The proxy variables tools read (curl, git, npm, pip, Node's and Bun's fetch), both spellings. */
function proxyVariables(url: string): Record<string, string> {
  const direct = "127.0.0.1,localhost,::1";
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY: direct,
    no_proxy: direct,
  };
}
