import { type KeyObject, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A token the stand-in minted, with what it was minted for. */
export interface MintedToken {
  token: string;
  installationId: string;
  repositories: string[];
  permissions: Record<string, string>;
  /** The app JWT's claims, after its signature was verified. */
  claims: { iss: string; iat: number; exp: number };
}

/** A pull request call: who asked (the Authorization header) and for what. */
export interface PullRequestCall {
  path: string;
  authorization: string;
  body: unknown;
}

type Answer = { status: number; body?: unknown };

interface StandInApp {
  appId: string;
  installationId: string;
  publicKey: KeyObject;
  now: () => number;
}

/**
 * A local stand-in for the GitHub App endpoints drover uses, answering as GitHub documents them:
 * `POST /app/installations/{id}/access_tokens` accepts only a JWT whose RS256 signature the app's
 * PUBLIC key verifies, with `iss` the app, `iat` not in the future and `exp` at most 10 minutes
 * after `iat`; `DELETE /installation/token` revokes the token it is called with; `POST
 * /repos/{owner}/{repo}/pulls` opens a pull request for a live token minted for that repository.
 */
export class GitHubAppStandIn {
  readonly mints: MintedToken[] = [];
  /** Tokens revoked, in order. */
  readonly revokes: string[] = [];
  readonly pullRequests: PullRequestCall[] = [];
  /** Every JWT refused, with why. */
  readonly refused: string[] = [];
  readonly #server: Server;
  readonly #app: StandInApp;
  readonly #live = new Map<string, MintedToken>();
  #failNextMint: number | undefined;

  private constructor(server: Server, app: StandInApp) {
    this.#server = server;
    this.#app = app;
  }

  static async start(app: {
    appId: number | string;
    installationId: number | string;
    publicKey: KeyObject;
    now?: () => number;
  }): Promise<GitHubAppStandIn> {
    let standIn: GitHubAppStandIn | undefined;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
      });
      req.on("end", () => {
        const answer = standIn?.answer(req, raw) ?? { status: 500 };
        res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
        res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    standIn = new GitHubAppStandIn(server, {
      appId: String(app.appId),
      installationId: String(app.installationId),
      publicKey: app.publicKey,
      now: app.now ?? Date.now,
    });
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The token as minted, while it is live (not revoked). */
  liveToken(token: string): MintedToken | undefined {
    return this.#live.get(token);
  }

  /** The next mint answers `status` (e.g. 422: a repository the installation cannot reach). */
  failNextMint(status: number): void {
    this.#failNextMint = status;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  answer(req: IncomingMessage, raw: string): Answer {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    const bearer = /^(?:Bearer|token) (\S+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const mint = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(url.pathname);
    if (req.method === "POST" && mint) return this.#mint(mint[1] ?? "", bearer, body);
    if (req.method === "DELETE" && url.pathname === "/installation/token") {
      if (!this.#live.delete(bearer)) return badCredentials();
      this.revokes.push(bearer);
      return { status: 204 };
    }
    const pulls = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
    if (req.method === "POST" && pulls) {
      this.pullRequests.push({ path: url.pathname, authorization: req.headers.authorization ?? "", body });
      const minted = this.#live.get(bearer);
      if (!minted) return badCredentials();
      if (!minted.repositories.includes(pulls[2] ?? ""))
        return { status: 404, body: { message: "Not Found" } };
      const number = this.pullRequests.length;
      const input = body as { head?: string; base?: string; draft?: boolean };
      return {
        status: 201,
        body: {
          number,
          html_url: `https://github.example/${pulls[1]}/${pulls[2]}/pull/${number}`,
          draft: input.draft === true,
          head: { ref: input.head },
          base: { ref: input.base },
        },
      };
    }
    return { status: 404, body: { message: "Not Found" } };
  }

  #mint(installationId: string, jwt: string, body: unknown): Answer {
    const claims = this.#verifyJwt(jwt);
    if (typeof claims === "string") {
      this.refused.push(claims);
      return { status: 401, body: { message: claims } };
    }
    if (installationId !== this.#app.installationId) return { status: 404, body: { message: "Not Found" } };
    if (this.#failNextMint !== undefined) {
      const status = this.#failNextMint;
      this.#failNextMint = undefined;
      return { status, body: { message: "There is at least one repository that does not exist" } };
    }
    const input = body as { repositories?: unknown; permissions?: Record<string, string> };
    const repositories = Array.isArray(input.repositories) ? input.repositories.map(String) : [];
    const permissions = input.permissions ?? {};
    const token = `ghs_${randomBytes(18).toString("hex")}`;
    const minted: MintedToken = { token, installationId, repositories, permissions, claims };
    this.mints.push(minted);
    this.#live.set(token, minted);
    const expiresAt = new Date(this.#app.now() + 3_600_000).toISOString();
    return {
      status: 201,
      body: { token, expires_at: expiresAt, permissions, repository_selection: "selected" },
    };
  }

  /** The claims of a JWT signed by the app's key and valid now, or why it is refused. */
  #verifyJwt(jwt: string): MintedToken["claims"] | string {
    const [header, payload, signature] = jwt.split(".");
    if (!header || !payload || !signature) return "A JSON web token could not be decoded";
    const head = decode(header) as { alg?: string } | undefined;
    if (head?.alg !== "RS256") return "the JWT must be signed with RS256";
    const signed = verify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      this.#app.publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return "the JWT's signature does not match the app's public key";
    const claims = decode(payload) as { iss?: unknown; iat?: unknown; exp?: unknown } | undefined;
    const { iss, iat, exp } = claims ?? {};
    if (typeof iat !== "number" || typeof exp !== "number") return "the JWT has no iat or exp";
    if (String(iss) !== this.#app.appId) return `the JWT's iss ${String(iss)} is not the app`;
    const now = Math.floor(this.#app.now() / 1000);
    if (iat > now) return "the JWT's iat is in the future";
    if (exp <= now) return "the JWT has expired";
    if (exp - iat > 600) return "the JWT's exp is more than 10 minutes after its iat";
    return { iss: String(iss), iat, exp };
  }
}

function badCredentials(): Answer {
  return { status: 401, body: { message: "Bad credentials" } };
}

function decode(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
