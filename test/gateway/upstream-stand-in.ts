import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request a stand-in provider received. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface UpstreamStandIn {
  url: string;
  received: ReceivedRequest[];
  /** Requests whose connection closed before the answer ended (the client went away). */
  cutOff: () => number;
  close(): Promise<void>;
}

/**
 * A provider stand-in on loopback: records every request (headers and body), then lets `answer`
 * reply; by default a JSON body echoing nothing.
 */
export async function startUpstreamStandIn(
  answer: (request: ReceivedRequest, res: http.ServerResponse) => void | Promise<void> = (_, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  },
): Promise<UpstreamStandIn> {
  const received: ReceivedRequest[] = [];
  let cutOff = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(request);
      res.on("close", () => {
        if (!res.writableFinished) cutOff++;
      });
      void Promise.resolve(answer(request, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    cutOff: () => cutOff,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
