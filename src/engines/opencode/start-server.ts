import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { OpencodeSettings } from "../../config/schema.ts";
import { DroverError } from "../../core/errors.ts";
import { strictSandboxAvailability } from "../../sandbox/strict-availability.ts";
import { prepareStrictLaunch, type StrictLaunch, type StrictSandbox } from "../../sandbox/strict-launch.ts";
import { type EngineHome, prepareEngineHome } from "./engine-home.ts";
import { issueModelCredential, modelCredentialPath, modelCredentialRef } from "./model-credential.ts";
import { OpencodeServer } from "./opencode-server.ts";
import { serverEnv } from "./server-env.ts";
import { spawnServer } from "./server-process.ts";
import { withTimeout } from "./with-timeout.ts";

/**
 * Starts one `opencode serve` in the home `homeDir` (its HOME/XDG tree, a fresh random password,
 * its log in `<root>/logs`) and connects to its event stream. A server that does not get that far
 * is stopped, with everything it started, before the error is thrown.
 */
export async function startServer(options: {
  name: string;
  homeDir: string;
  root: string;
  bin: string;
  settings: OpencodeSettings;
  env: NodeJS.ProcessEnv;
  config: Record<string, unknown>;
  onStreamProblem: (message: string) => void;
  /** Called once the process runs, before the event stream connects (to watch it exit). */
  onProcess?: (server: OpencodeServer) => void;
  /** drover's egress proxy, given to the server (and so its tools) as HTTP(S)_PROXY. */
  egressProxyUrl?: string;
  /** Run the server in a bubblewrap sandbox (the `strict` profile); refused if bwrap cannot be had. */
  strict?: StrictSandbox;
  /** The `none` profile: drover's own HOME and whole environment (provider keys are not in it). */
  unsandboxed?: boolean;
}): Promise<{ server: OpencodeServer; password: string }> {
  const { settings, root } = options;
  const home = prepareEngineHome(options.homeDir);
  // Each server its own model-gateway credential; the one a previous server here had stops working.
  issueModelCredential(options.homeDir);
  const logDir = path.join(root, "logs");
  mkdirSync(logDir, { recursive: true });
  const password = randomBytes(24).toString("base64url");
  const launch = options.strict ? await strictLaunch(options, home) : undefined;
  const process = await spawnServer({
    bin: options.bin,
    cwd: home.root,
    ...(launch ? { launch } : {}),
    env: serverEnv({
      parent: options.env,
      allowlist: options.unsandboxed ? ["*"] : settings.envPassthrough,
      home: options.unsandboxed ? withOwnHome(home, options.env) : home,
      config: options.unsandboxed ? credentialByAbsolutePath(options.config, home) : options.config,
      password,
      ownerTag: root,
      ...(launch
        ? launch.proxyUrl
          ? { proxyUrl: launch.proxyUrl }
          : {}
        : options.egressProxyUrl
          ? { proxyUrl: options.egressProxyUrl }
          : {}),
    }),
    logFile: path.join(logDir, `${path.basename(options.homeDir)}.log`),
    startTimeoutMs: settings.startTimeout,
  });
  const server = new OpencodeServer({
    name: options.name,
    url: process.url,
    username: "opencode",
    password,
    process,
    onStreamProblem: options.onStreamProblem,
  });
  options.onProcess?.(server);
  try {
    await withTimeout(server.ready, settings.startTimeout, `${options.name} event stream did not connect`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, password };
}

/**
 * The sandbox a `strict` server starts in: refused with the reason when bubblewrap cannot be had
 * (never a weaker run in silence). Its fresh HOME holds an identity for git and a `gh` config
 * that reads `GH_TOKEN`, nothing else.
 */
async function strictLaunch(
  options: Parameters<typeof startServer>[0] & { strict?: StrictSandbox },
  home: ReturnType<typeof prepareEngineHome>,
): Promise<StrictLaunch> {
  const availability = strictSandboxAvailability(options.env);
  if (!availability.ok)
    throw new DroverError("engine_start_failed", `the strict sandbox cannot be had: ${availability.reason}`);
  const homeDir = home.env.HOME as string;
  writeFileSync(
    path.join(homeDir, ".gitconfig"),
    "[user]\n\tname = drover agent\n\temail = agent@drover.invalid\n",
  );
  const ghDir = path.join(home.env.XDG_CONFIG_HOME as string, "gh");
  mkdirSync(ghDir, { recursive: true });
  writeFileSync(path.join(ghDir, "config.yml"), "git_protocol: https\nprompt: disabled\n");
  return prepareStrictLaunch({
    name: options.name,
    bwrap: availability.bwrap,
    opencodeBin: options.bin,
    homeDir: options.homeDir,
    cwd: home.root,
    sandbox: options.strict as StrictSandbox,
    loopbackPorts: loopbackPortsOf(options.config),
  });
}

/**
 * `sandbox: none`: the user's HOME (their git identity, ssh keys and `gh` login work as in their
 * own shell); OpenCode's config, data and caches stay in the server's home.
 */
function withOwnHome(home: EngineHome, env: NodeJS.ProcessEnv): EngineHome {
  if (!env.HOME) return home;
  const ghConfig =
    env.GH_CONFIG_DIR ?? path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME, ".config"), "gh");
  return { root: home.root, env: { ...home.env, HOME: env.HOME, GH_CONFIG_DIR: ghConfig } };
}

/** The model credential's `{file:~/…}` reference made absolute: `~` is the user's HOME under `none`. */
function credentialByAbsolutePath(
  config: Record<string, unknown>,
  home: EngineHome,
): Record<string, unknown> {
  const absolute = `{file:${path.join(home.env.HOME as string, modelCredentialPath)}}`;
  return JSON.parse(JSON.stringify(config).split(modelCredentialRef).join(absolute)) as Record<
    string,
    unknown
  >;
}

/** Ports of the providers the config reaches on this machine's loopback (the model gateway, …). */
function loopbackPortsOf(config: Record<string, unknown>): number[] {
  const providers = (config.provider ?? {}) as Record<string, { options?: { baseURL?: unknown } }>;
  const ports = new Set<number>();
  for (const provider of Object.values(providers)) {
    const url = provider?.options?.baseURL;
    if (typeof url !== "string") continue;
    try {
      const parsed = new URL(url);
      if (["127.0.0.1", "localhost"].includes(parsed.hostname) && parsed.port) ports.add(Number(parsed.port));
    } catch {
      // not a URL: OpenCode reports it
    }
  }
  return [...ports];
}
