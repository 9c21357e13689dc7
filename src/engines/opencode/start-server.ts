import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { OpencodeSettings } from "../../config/schema.ts";
import { prepareEngineHome } from "./engine-home.ts";
import { issueModelCredential } from "./model-credential.ts";
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
}): Promise<{ server: OpencodeServer; password: string }> {
  const { settings, root } = options;
  const home = prepareEngineHome(options.homeDir);
  // Each server its own model-gateway credential; the one a previous server here had stops working.
  issueModelCredential(options.homeDir);
  const logDir = path.join(root, "logs");
  mkdirSync(logDir, { recursive: true });
  const password = randomBytes(24).toString("base64url");
  const process = await spawnServer({
    bin: options.bin,
    cwd: home.root,
    env: serverEnv({
      parent: options.env,
      allowlist: settings.envPassthrough,
      home,
      config: options.config,
      password,
      ownerTag: root,
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
