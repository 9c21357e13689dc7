import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a git client made: the repository path and the credentials it sent, if any. */
export interface GitHttpCall {
  path: string;
  service: string;
  username?: string;
  password?: string;
  status: number;
}

/**
 * A git smart-HTTP remote on loopback, as GitHub serves one: `git http-backend` (from git itself)
 * behind HTTP Basic auth. `authorize(password, repoPath)` decides whether a request may go on;
 * without credentials the answer is 401 with `WWW-Authenticate`, so git asks its credential helper.
 */
export async function startGitHttpRemote(options: {
  /** The folder holding the bare repositories (`<root>/acme/app.git`). */
  root: string;
  authorize(password: string, repoPath: string): boolean;
}): Promise<{ url: string; calls: GitHttpCall[]; close(): Promise<void> }> {
  const calls: GitHttpCall[] = [];
  const server = createServer((req, res) => serve(req, res));

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://remote");
    const service =
      url.searchParams.get("service") ?? url.pathname.split("/").pop()?.replace(/^git-/, "git-") ?? "";
    const repoPath = url.pathname.replace(/\/(info\/refs|git-upload-pack|git-receive-pack)$/, "");
    const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    const [username, password] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : [];
    const call: GitHttpCall = {
      path: repoPath,
      service,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      status: 0,
    };
    calls.push(call);
    if (password === undefined || !options.authorize(password, repoPath)) {
      call.status = 401;
      res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' });
      res.end();
      return;
    }
    const backend = spawn("git", ["http-backend"], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: options.root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_USER: username ?? "",
        ...(req.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] }
          : {}),
      },
      stdio: ["pipe", "pipe", "inherit"],
    });
    req.pipe(backend.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    backend.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString("utf8").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      call.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    backend.on("close", () => res.end());
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
