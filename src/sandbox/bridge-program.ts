/**
 * The program that starts a `strict` sandbox from inside it (plain Node, builtins only; written to
 * the sandbox's bridge dir and run with the same node). The sandbox has its own network namespace,
 * so the host's loopback is out of reach: this program listens on the sandbox's loopback ports
 * that stand for the model gateway (and other loopback providers) and for the egress proxy, and
 * carries each connection to a Unix socket drover serves outside; and it carries connections from
 * a Unix socket to the OpenCode server inside. Then it runs the server and exits with it.
 */
export const bridgeProgram = `
import net from "node:net";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));

function splice(a, b) {
  a.pipe(b);
  b.pipe(a);
  for (const [one, other] of [[a, b], [b, a]]) {
    one.on("error", () => other.destroy());
    one.on("close", () => other.destroy());
  }
}

function listen(server, ...where) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(...where, resolve);
  });
}

const ready = [];
for (const outward of config.outward) {
  const server = net.createServer((inside) => splice(inside, net.connect(outward.socket)));
  ready.push(listen(server, outward.port, "127.0.0.1"));
}
rmSync(config.inward.socket, { force: true });
const inward = net.createServer((outside) => splice(outside, net.connect(config.inward.port, "127.0.0.1")));
ready.push(listen(inward, config.inward.socket));
await Promise.all(ready);

const child = spawn(config.command[0], config.command.slice(1), { stdio: "inherit" });
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
`;
