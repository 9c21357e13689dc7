import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { type CliRun, runDrover } from "./run-cli.ts";

/** Debian's browser, which `.ci/run` installs; the browser tests drive it through playwright-core. */
export const chromiumPath = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  // Chromium's sandbox cannot start as root (CI containers); the pages it opens are our own.
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({ executablePath: chromiumPath, args: asRoot ? ["--no-sandbox"] : [] });
}

export const hasChromium = (): boolean => existsSync(chromiumPath);

/** A real daemon started through the built CLI, on a free port, with its token. */
export interface RunningDaemon {
  run: CliRun;
  url: string;
  token: string;
  stateDir: string;
  /** The API with the bearer token, as a script would call it. */
  api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function startDaemon(dir: string): Promise<RunningDaemon> {
  const stateDir = path.join(dir, "state");
  const run = runDrover(["daemon", "--port", "0", "--state-dir", stateDir], { cwd: dir });
  await run.waitForOutput(/listening on http:\/\/[\d.]+:\d+/);
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(run.stdout())?.[1] as string;
  const token = readFileSync(path.join(stateDir, "api-token"), "utf8").trim();
  return {
    run,
    url,
    token,
    stateDir,
    async api<T>(method: string, route: string, body?: unknown) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
    },
  };
}

/** Logs in through the form, as a person would, and waits for the dashboard's live stream. */
export async function logIn(page: Page, daemon: RunningDaemon, token = daemon.token): Promise<void> {
  await page.goto(`${daemon.url}/`);
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(/\/(login)?$/), page.click("button[type=submit]")]);
}

/** A page on another origin of the same host (same site: the browser sends the dashboard's
 * SameSite=Strict cookie) that posts a form to the daemon as soon as it loads. */
export async function startForeignSite(action: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><form id="f" method="post" action="${action}"><input name="x" value="1"></form>
<script>document.getElementById("f").submit()</script>`;
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
