import { DroverError } from "../../core/errors.ts";
import { OpencodeServer } from "./opencode-server.ts";
import { withTimeout } from "./with-timeout.ts";

/**
 * Connects to a user's running `opencode serve` (`opencode.attach`), with the password from
 * DROVER_OPENCODE_PASSWORD or OPENCODE_SERVER_PASSWORD. drover never stops or signals it.
 */
export async function attachToServer(options: {
  url: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  onStreamProblem: (message: string) => void;
}): Promise<OpencodeServer> {
  const { env, url } = options;
  const server = new OpencodeServer({
    name: "attached",
    url: url.replace(/\/+$/, ""),
    username: env.OPENCODE_SERVER_USERNAME ?? "opencode",
    password: env.DROVER_OPENCODE_PASSWORD ?? env.OPENCODE_SERVER_PASSWORD ?? "",
    onStreamProblem: options.onStreamProblem,
  });
  if (!(await server.healthy())) {
    await server.stop();
    throw new DroverError(
      "engine_unavailable",
      `opencode.attach: no healthy OpenCode server at ${url} (is it running, and is DROVER_OPENCODE_PASSWORD or OPENCODE_SERVER_PASSWORD set?)`,
    );
  }
  await withTimeout(server.ready, options.startTimeoutMs, `event stream of ${url} did not connect`);
  return server;
}
