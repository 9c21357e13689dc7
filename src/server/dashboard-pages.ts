import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The dashboard's HTML from the server side: the login page, the built app's page with the
// session's values filled in, and where the built files are.

/** The files `npm run build` writes to `dist/dashboard`, and their content types. */
export const dashboardAssets: Readonly<Record<string, string>> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * Where the built dashboard is: `dist/dashboard` next to `dist/src` (the installed package), or
 * the repository's `dist/dashboard` when this module runs from source (tests with tsx).
 */
export function findDashboardDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, "../../dashboard"), path.resolve(here, "../../dist/dashboard")];
  return candidates.find((dir) => existsSync(path.join(dir, "index.html")));
}

/** The app's page with this session's CSRF value and the event stream's starting point filled in. */
export function appPage(dashboardDir: string, values: { csrf: string; eventSeq: number }): string {
  return readFileSync(path.join(dashboardDir, "index.html"), "utf8")
    .replaceAll("__DROVER_CSRF__", escapeHtml(values.csrf))
    .replaceAll("__DROVER_EVENT_SEQ__", String(values.eventSeq));
}

/** What `/` says when this drover was installed without its dashboard (a build that skipped it). */
export function notBuiltPage(): string {
  return page(
    "drover",
    `<main class="login"><h1>drover</h1><p>The dashboard is not built in this installation. From a checkout, run
<code>npm run build</code> (it bundles <code>src/dashboard</code> into <code>dist/dashboard</code>).</p>
<p>The API works as usual: <code>/v1/status</code> with the bearer token.</p></main>`,
  );
}

/** The login form; `message` says why the last attempt failed. */
export function loginPage(message?: string): string {
  const note = message ? `<p class="login-error" role="alert">${escapeHtml(message)}</p>` : "";
  return page(
    "drover — log in",
    `<main class="login">
<h1>drover</h1>
<p>Log in with this daemon's API token: the contents of <code>.drover/api-token</code> in the project.</p>
${note}
<form method="post" action="/login" class="login-form">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
</main>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
${body}
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char,
  );
}
