import { readFileSync } from "node:fs";
import path from "node:path";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { tokenMatches } from "../security/api-token.ts";
import type { Store } from "../store/store.ts";
import { appPage, dashboardAssets, findDashboardDir, loginPage, notBuiltPage } from "./dashboard-pages.ts";
import { type DashboardSession, DashboardSessions, dashboardSessionMaxAgeMs } from "./dashboard-sessions.ts";

export interface DashboardDeps {
  token: string;
  store: Pick<Store, "listEvents">;
  /** The built dashboard (`dist/dashboard`); found next to this module when not given. */
  dashboardDir?: string;
  /** A login with the wrong token (for the failed-auth events). */
  onLoginFailed?: (c: Context) => void;
  now?: () => number;
}

/** What the API's auth check asks the dashboard: did this request come with a valid login cookie? */
export interface DashboardAuth {
  signedIn(c: Context): boolean;
}

const LoginForm = z.object({ token: z.string().trim().min(1, "enter the token").max(1024) });
const LogoutForm = z.object({ csrf: z.string().max(256).optional() });
const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const ownForms = new Set(["/login", "/logout"]);
const formLimit = bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text("form too large", 413) });

/** The page may load only what the daemon serves: no CDN, no inline script, no framing. */
const pageHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

/**
 * The web dashboard on the API's port: `GET /` (the app, or the login page), `POST /login` with the
 * API token (sets an HttpOnly, SameSite=Strict cookie), `POST /logout`, and the built assets. Must be
 * added before the API's token check, which then also accepts the cookie through `signedIn`. A request
 * made with the cookie that changes something must carry the page's `X-Drover-CSRF` value and come from
 * this origin, else it is refused (403) before it reaches a route.
 */
export function addDashboardRoutes(app: Hono, deps: DashboardDeps): DashboardAuth {
  const sessions = new DashboardSessions(deps.token, deps.now);
  const dashboardDir = deps.dashboardDir ?? findDashboardDir();
  const signedIn = new WeakSet<Request>();
  const sessionOf = (c: Context) => sessions.read(getCookie(c, sessions.cookieName));

  app.use("*", async (c, next) => {
    if (c.req.header("authorization") !== undefined) return next(); // the bearer token decides
    if (ownForms.has(c.req.path)) return next(); // they check their own form
    const session = sessionOf(c);
    if (!session) return next();
    if (unsafeMethods.has(c.req.method)) {
      const refusal =
        crossSiteReason(c) ??
        (sessions.csrfMatches(session, c.req.header("x-drover-csrf"))
          ? undefined
          : "the X-Drover-CSRF header is missing or wrong");
      if (refusal) {
        const message = `refused a change made with the dashboard's cookie: ${refusal} (reload the dashboard, or use the bearer token)`;
        return c.json({ error: { code: "csrf_refused", message } }, 403);
      }
    }
    signedIn.add(c.req.raw);
    return next();
  });

  const html = (c: Context, body: string, status: 200 | 400 | 401 | 403 = 200) =>
    c.html(body, status, pageHeaders);

  app.get("/", (c) => {
    const session = sessionOf(c);
    if (!session) return html(c, loginPage());
    if (!dashboardDir) return html(c, notBuiltPage());
    return html(c, appPage(dashboardDir, { csrf: session.csrf, eventSeq: latestEventSeq(deps.store) }));
  });

  app.get("/login", (c) => (sessionOf(c) ? c.redirect("/", 303) : html(c, loginPage())));

  app.post("/login", formLimit, async (c) => {
    const crossSite = crossSiteReason(c);
    if (crossSite) return html(c, loginPage(`Refused a login from another site (${crossSite}).`), 403);
    const form = LoginForm.safeParse(await c.req.parseBody().catch(() => ({})));
    if (!form.success) return html(c, loginPage("Enter the API token."), 400);
    if (!tokenMatches(form.data.token, deps.token)) {
      deps.onLoginFailed?.(c);
      return html(c, loginPage("That is not this daemon's API token (see .drover/api-token)."), 401);
    }
    const { cookieValue } = sessions.issue();
    setCookie(c, sessions.cookieName, cookieValue, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: Math.floor(dashboardSessionMaxAgeMs / 1000),
    });
    return c.redirect("/", 303);
  });

  app.post("/logout", formLimit, async (c) => {
    const session = sessionOf(c);
    if (session && isLogoutAllowed(c, sessions, session, await c.req.parseBody().catch(() => ({})))) {
      sessions.revoke(session);
      deleteCookie(c, sessions.cookieName, { path: "/" });
    }
    return c.redirect("/", 303);
  });

  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    const contentType = dashboardAssets[name];
    if (!contentType || !dashboardDir) return c.text("not found", 404);
    const body = readFileSync(path.join(dashboardDir, name));
    return c.body(body, 200, {
      "content-type": contentType,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
  });

  return { signedIn: (c) => signedIn.has(c.req.raw) };
}

/** A logout form carries the CSRF value as a field (the page's fetches send it as a header). */
function isLogoutAllowed(
  c: Context,
  sessions: DashboardSessions,
  session: DashboardSession,
  body: unknown,
): boolean {
  const form = LogoutForm.safeParse(body);
  const presented = c.req.header("x-drover-csrf") ?? (form.success ? form.data.csrf : undefined);
  return crossSiteReason(c) === undefined && sessions.csrfMatches(session, presented);
}

/**
 * Why a request is not from this daemon's own pages. Browsers send `Sec-Fetch-Site`, which decides;
 * older ones only `Origin`; curl neither (it has no cookie to abuse).
 */
function crossSiteReason(c: Context): string | undefined {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin" ? undefined : `Sec-Fetch-Site is "${site}"`;
  const origin = c.req.header("origin");
  const host = c.req.header("host");
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return `Origin ${origin} is not this daemon`;
  return undefined;
}

/** The newest event's sequence number, so the page's event stream starts now instead of replaying
 * the whole history: a doubling then halving search over `seq > n` (each probe one indexed row). */
export function latestEventSeq(store: Pick<Store, "listEvents">): number {
  const anyAfter = (seq: number) => store.listEvents({ afterSeq: seq, limit: 1 }).length > 0;
  if (!anyAfter(0)) return 0;
  let low = 0;
  let high = 1;
  while (anyAfter(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (anyAfter(middle)) low = middle;
    else high = middle;
  }
  return high;
}
