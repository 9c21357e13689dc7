import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the stand-in received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

interface StoredPull {
  number: number;
  html_url: string;
  draft: boolean;
  state: "open";
  title: string;
  body: string;
  head: { ref: string; label: string };
  base: { ref: string };
}

/**
 * A local stand-in for the GitHub REST endpoints drover uses (`POST/GET /repos/{owner}/{repo}/pulls`),
 * answering as GitHub documents: 401 without the right token, 201 with the pull request, 422 when
 * one is already open for the head. Records every request; `failNext(status)` fails the next call.
 */
export class GitHubApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #token: string;
  readonly #pulls = new Map<string, StoredPull[]>();
  #failNext: number | undefined;

  private constructor(server: Server, token: string) {
    this.#server = server;
    this.#token = token;
  }

  static async start(token: string): Promise<GitHubApiStandIn> {
    let standIn: GitHubApiStandIn | undefined;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
      });
      req.on("end", () => {
        const answer = standIn?.answer(req, raw) ?? { status: 500, body: {} };
        res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    standIn = new GitHubApiStandIn(server, token);
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  failNext(status: number): void {
    this.#failNext = status;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  answer(req: IncomingMessage, raw: string): { status: number; body: unknown } {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname + url.search,
      headers: req.headers,
      body,
    });
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${this.#token}` && auth !== `Bearer ${this.#token}`)
      return {
        status: 401,
        body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" },
      };
    if (this.#failNext !== undefined) {
      const status = this.#failNext;
      this.#failNext = undefined;
      return { status, body: { message: "Server Error" } };
    }
    const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
    if (!match) return { status: 404, body: { message: "Not Found" } };
    const [, owner, repo] = match;
    const key = `${owner}/${repo}`;
    const pulls = this.#pulls.get(key) ?? [];
    this.#pulls.set(key, pulls);
    if (req.method === "GET") {
      const head = url.searchParams.get("head");
      return { status: 200, body: pulls.filter((pr) => !head || pr.head.label === head) };
    }
    if (req.method !== "POST") return { status: 404, body: { message: "Not Found" } };
    const input = body as { title?: string; head?: string; base?: string; body?: string; draft?: boolean };
    if (!input.title || !input.head || !input.base)
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "missing_field" }] },
      };
    if (pulls.some((pr) => pr.head.ref === input.head))
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [
            {
              resource: "PullRequest",
              code: "custom",
              message: `A pull request already exists for ${owner}:${input.head}.`,
            },
          ],
        },
      };
    const number = pulls.length + 1;
    const pr: StoredPull = {
      number,
      html_url: `https://github.example/${key}/pull/${number}`,
      draft: input.draft === true,
      state: "open",
      title: input.title,
      body: input.body ?? "",
      head: { ref: input.head, label: `${owner}:${input.head}` },
      base: { ref: input.base },
    };
    pulls.push(pr);
    return { status: 201, body: pr };
  }
}
