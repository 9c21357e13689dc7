import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { bridgeProgram } from "./bridge-program.ts";
import { type Forwarder, forwardLoopbackTo, forwardSocketTo } from "./socket-forwarders.ts";

/** What a `strict` server may touch besides its own home. */
export interface StrictSandbox {
  /** Trees the agent may write (the project folder, the worktrees), bound at their own paths. */
  writable: readonly string[];
  /** Paths inside those trees hidden behind an empty tmpfs (drover's state dir: store, API token). */
  hidden: readonly string[];
  /** Paths inside those trees bound read-only on top (a repository's `.git/hooks` and `.git/config`). */
  readOnly: readonly string[];
  /** drover's egress proxy, which serves one Unix socket per sandbox: the only way out. */
  egress?: { listenOnSocket(label: string, socketPath: string): Promise<() => Promise<void>> };
}

/** How to start one server in bubblewrap, and what runs outside for it until it stops. */
export interface StrictLaunch {
  bin: string;
  args: string[];
  /** The proxy the server's tools get (inside the sandbox), if there is an egress proxy. */
  proxyUrl?: string;
  /** The URL drover reaches the server at, from the one it printed inside. */
  publicUrl(insideUrl: string): Promise<string>;
  close(): Promise<void>;
}

const etcFiles = [
  "resolv.conf",
  "hosts",
  "passwd",
  "group",
  "nsswitch.conf",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "alternatives",
  "localtime",
  "mime.types",
];

/**
 * Prepares `opencode serve` in a bubblewrap sandbox: read-only system directories and a small
 * part of /etc, nothing of the real HOME, its own home and the given trees writable, its own PID
 * and network namespaces. Loopback providers (the model gateway) and the egress proxy are bridged
 * in over Unix sockets in a private directory; drover reaches the server through one as well.
 */
export async function prepareStrictLaunch(options: {
  name: string;
  bwrap: string;
  opencodeBin: string;
  homeDir: string;
  /** The server's working directory (its HOME), inside `homeDir`. */
  cwd: string;
  sandbox: StrictSandbox;
  /** Ports of loopback services the server talks to (the model gateway, the scripted model). */
  loopbackPorts: readonly number[];
}): Promise<StrictLaunch> {
  const bridgeDir = mkdtempSync(path.join(tmpdir(), "drover-sbx-"));
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.allSettled(closers.map((closer) => closer()));
    rmSync(bridgeDir, { recursive: true, force: true });
  };
  try {
    const taken = new Set(options.loopbackPorts);
    const insidePort = freeInsidePort(4096, taken);
    const outward = options.loopbackPorts.map((port) => ({ port, socket: path.join(bridgeDir, `p${port}`) }));
    for (const route of outward) {
      const forwarder: Forwarder = await forwardSocketTo(route.socket, () =>
        net.connect(route.port, "127.0.0.1"),
      );
      closers.push(() => forwarder.close());
    }
    let proxyUrl: string | undefined;
    if (options.sandbox.egress) {
      const port = freeInsidePort(3128, taken);
      const socket = path.join(bridgeDir, "egress");
      closers.push(await options.sandbox.egress.listenOnSocket(options.name, socket));
      outward.push({ port, socket });
      proxyUrl = `http://127.0.0.1:${port}`;
    }
    const inward = { socket: path.join(bridgeDir, "server"), port: insidePort };
    const command = [options.opencodeBin, "serve", "--hostname", "127.0.0.1", "--port", String(insidePort)];
    writeFileSync(path.join(bridgeDir, "bridge.mjs"), bridgeProgram);
    writeFileSync(path.join(bridgeDir, "bridge.json"), JSON.stringify({ outward, inward, command }));
    const args = [
      ...bwrapArgs({ ...options, bridgeDir }),
      "--",
      process.execPath,
      path.join(bridgeDir, "bridge.mjs"),
      path.join(bridgeDir, "bridge.json"),
    ];
    return {
      bin: options.bwrap,
      args,
      ...(proxyUrl ? { proxyUrl } : {}),
      async publicUrl() {
        const forwarder = await forwardLoopbackTo(() => net.connect(inward.socket));
        closers.push(() => forwarder.close());
        return `http://127.0.0.1:${forwarder.port}`;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function bwrapArgs(options: {
  opencodeBin: string;
  homeDir: string;
  cwd: string;
  bridgeDir: string;
  sandbox: StrictSandbox;
}): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-all", "--ro-bind", "/usr", "/usr"];
  for (const dir of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    if (!existsSync(dir)) continue;
    if (lstatSync(dir).isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  for (const file of etcFiles) args.push("--ro-bind-try", `/etc/${file}`, `/etc/${file}`);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  // Node (for the bridge) and OpenCode, where they live outside /usr; read-only.
  for (const install of [
    path.dirname(path.dirname(process.execPath)),
    path.dirname(path.dirname(options.opencodeBin)),
  ]) {
    if (!install.startsWith("/usr/") && install !== "/usr") args.push("--ro-bind", install, install);
  }
  for (const dir of options.sandbox.writable) {
    mkdirSync(dir, { recursive: true });
    args.push("--bind", dir, dir);
  }
  for (const dir of options.sandbox.hidden) if (existsSync(dir)) args.push("--tmpfs", dir);
  // Writable trees inside a hidden one (the worktrees under the state dir) come back on top.
  for (const dir of options.sandbox.writable) {
    if (options.sandbox.hidden.some((hidden) => dir.startsWith(`${hidden}${path.sep}`)))
      args.push("--bind", dir, dir);
  }
  for (const entry of options.sandbox.readOnly) if (existsSync(entry)) args.push("--ro-bind", entry, entry);
  args.push("--bind", options.homeDir, options.homeDir);
  args.push("--bind", options.bridgeDir, options.bridgeDir);
  args.push("--chdir", options.cwd);
  return args;
}

function freeInsidePort(preferred: number, taken: Set<number>): number {
  let port = preferred;
  while (taken.has(port)) port++;
  taken.add(port);
  return port;
}
