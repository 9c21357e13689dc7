import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closedPort } from "./free-port.ts";

/** A private redis-server on a free loopback port, writing its AOF (fsync always) under `dir`. */
export interface TestRedis {
  port: number;
  /** SIGKILL, as a crash: no shutdown save, only what the AOF already holds survives. */
  kill(): Promise<void>;
  /** Starts again on the same port and directory (after `kill`). */
  start(): Promise<void>;
}

export async function startTestRedis(dir: string): Promise<TestRedis> {
  const port = await closedPort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--daemonize",
        "no",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    child = server;
    await waitForOutput(server, "Ready to accept connections");
  };
  const kill = async () => {
    const server = child;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, "exit");
    server.kill("SIGKILL");
    await exited;
  };
  await start();
  return { port, kill, start };
}

function waitForOutput(server: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.includes(text)) return;
      server.stdout?.off("data", onData);
      server.stdout?.resume();
      resolve();
    };
    server.stdout?.on("data", onData);
    server.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before ready:\n${seen}`)));
  });
}
