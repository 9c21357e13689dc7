import type { Context, MiddlewareHandler } from "hono";
import { redactSecretsIn } from "../security/redact-value.ts";
import { redactSecrets } from "../security/secret-scan.ts";

// What keeps the daemon's API to its own machine and its own pages: requests for another host
// name (DNS rebinding) and from other origins are refused, no response ever carries CORS headers,
// and every JSON or text response passes redaction.

/**
 * The `Host` values the daemon answers to: its loopback names on its port, and the configured
 * `daemon.host` (IPv6 addresses in brackets). Compared without case.
 */
export function daemonHostNames(configuredHost: string, port: number): string[] {
  const bracket = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
  const names = ["127.0.0.1", "localhost", "[::1]", bracket(configuredHost)];
  return [...new Set(names.map((name) => `${name.toLowerCase()}:${port}`))];
}

/** The request's `Host` (or, for requests made without one, the URL's host). */
function hostOf(c: Context): string {
  return (c.req.header("host") ?? new URL(c.req.url).host).toLowerCase();
}

/**
 * Refuses (421) a request whose `Host` is not one of `ownHosts()`: a page on another site whose
 * name was rebound to 127.0.0.1 reaches the port, but it says its own name. Without `ownHosts`
 * (tests calling `app.request()`), every host passes.
 */
export function refuseForeignHost(ownHosts: (() => readonly string[]) | undefined): MiddlewareHandler {
  return async (c, next) => {
    const allowed = ownHosts?.();
    if (!allowed || allowed.includes(hostOf(c))) return next();
    const message = `this is the drover daemon on ${allowed[0] ?? "loopback"}; it does not answer to Host "${hostOf(c).slice(0, 100)}" (use 127.0.0.1 or localhost and its port)`;
    return c.json({ error: { code: "wrong_host", message } }, 421);
  };
}

/**
 * Refuses (403) a request that a page of another origin made: an `Origin` header other than the
 * daemon's own (`http://` + one of its host names, or the request's own Host), `Origin: null`
 * included. Requests without `Origin` (curl, the CLI, navigations) pass to the token check.
 */
export function refuseCrossOrigin(ownHosts: (() => readonly string[]) | undefined): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined) return next();
    const hosts = ownHosts?.() ?? [hostOf(c)];
    if (hosts.some((host) => origin.toLowerCase() === `http://${host}`)) return next();
    const message = `refused a request from another origin (${origin.slice(0, 100)}): the API serves the daemon's own pages and clients without an Origin only`;
    return c.json({ error: { code: "cross_origin_refused", message } }, 403);
  };
}

/**
 * The outermost layer of every response: drops any `Access-Control-*` header (the API grants no
 * cross-origin access), and passes JSON and plain-text bodies through redaction — stored records
 * are redacted when written, this catches what a route builds on the way out (a prompt accepted
 * with `allowSecrets`, a transcript, an error quoting a provider). Event streams are redacted per
 * frame where they are written.
 */
export const secureResponses: MiddlewareHandler = async (c, next) => {
  await next();
  const type = c.res.headers.get("content-type") ?? "";
  const json = type.includes("application/json");
  const body = json || type.startsWith("text/plain") ? await c.res.clone().text() : undefined;
  const redacted = body === undefined ? undefined : json ? redactJsonText(body) : redactSecrets(body);
  const cors = [...c.res.headers.keys()].filter((name) => name.startsWith("access-control-"));
  if (redacted === body && cors.length === 0) return;
  const headers = new Headers(c.res.headers);
  for (const name of cors) headers.delete(name);
  if (redacted !== body) headers.delete("content-length");
  const { status, statusText } = c.res;
  const replacement = new Response(redacted !== body ? redacted : c.res.body, {
    status,
    statusText,
    headers,
  });
  // Unset first: Hono's setter would copy the old headers (CORS, length) onto the new response.
  c.res = undefined;
  c.res = replacement;
};

/** A JSON text with every string value redacted; the same text when nothing changed. */
function redactJsonText(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    const redacted = redactSecretsIn(value);
    return redacted === value ? text : JSON.stringify(redacted);
  } catch {
    return redactSecrets(text);
  }
}
