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

  /** Issue comments as they stand now (created, then edited in place), by id. */
  readonly comments = new Map<number, { id: number; issue: string; body: string; edits: number }>();

  /** `POST /repos/{o}/{r}/issues/{n}/comments` (201) and `PATCH /repos/{o}/{r}/issues/comments/{id}` (200). */
  #answerComment(
    method: string,
    pathname: string,
    body: unknown,
  ): { status: number; body: unknown } | undefined {
    const text = (body as { body?: unknown } | undefined)?.body;
    const created = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(pathname);
    if (created && method === "POST") {
      if (typeof text !== "string") return { status: 422, body: { message: "Validation Failed" } };
      const id = 1000 + this.comments.size + 1;
      this.comments.set(id, { id, issue: `${created[1]}/${created[2]}#${created[3]}`, body: text, edits: 0 });
      return { status: 201, body: { id, body: text, html_url: `https://github.example/comment/${id}` } };
    }
    const edited = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(pathname);
    if (edited && method === "PATCH") {
      const found = this.comments.get(Number(edited[1]));
      if (!found) return { status: 404, body: { message: "Not Found" } };
      if (typeof text !== "string") return { status: 422, body: { message: "Validation Failed" } };
      found.body = text;
      found.edits++;
      return { status: 200, body: { id: found.id, body: text } };
    }
    return undefined;
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
    const comment = this.#answerComment(req.method ?? "", url.pathname, body);
    if (comment) return comment;
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
