import { rmSync } from "node:fs";
import net from "node:net";

/** A listener that carries each connection somewhere else; `close` stops it and its connections. */
export interface Forwarder {
  close(): Promise<void>;
}

/** Listens on a Unix socket (mode 0600 by umask of its 0700 dir) and connects each client to `connect`. */
export function forwardSocketTo(socketPath: string, connect: () => net.Socket): Promise<Forwarder> {
  rmSync(socketPath, { force: true });
  return serve((server) => server.listen(socketPath), connect);
}

/** Listens on 127.0.0.1 (a free port) and connects each client to `connect`; resolves with the port. */
export async function forwardLoopbackTo(connect: () => net.Socket): Promise<Forwarder & { port: number }> {
  let port = 0;
  const forwarder = await serve((server) => {
    server.once("listening", () => {
      port = (server.address() as net.AddressInfo).port;
    });
    server.listen(0, "127.0.0.1");
  }, connect);
  return { ...forwarder, port };
}

function serve(start: (server: net.Server) => void, connect: () => net.Socket): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = connect();
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      resolve({
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
    start(server);
  });
}
