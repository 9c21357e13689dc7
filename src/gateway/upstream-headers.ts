import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { AuthStyle } from "./known-providers.ts";
import type { GatewayRoute } from "./plan-routes.ts";

/** Headers a client may carry a key in, in any provider's style; none of them goes upstream as sent. */
const credentialHeaders = ["authorization", "x-api-key", "x-goog-api-key", "api-key"] as const;

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `host`, which the upstream request sets for itself. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** The credential a request presents, in whichever header its provider's SDK put it. */
export function presentedCredentials(headers: IncomingHttpHeaders): string[] {
  const found: string[] = [];
  for (const name of credentialHeaders) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (!text) continue;
    found.push(name === "authorization" ? text.replace(/^Bearer\s+/i, "") : text);
  }
  return found;
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop ones and every credential header,
 * plus the real key in the provider's style. The body is asked for uncompressed, so usage can be
 * read from it as it streams by.
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, route: GatewayRoute): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionListed = new Set(
    String(incoming.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || hopByHop.has(name) || connectionListed.has(name)) continue;
    if ((credentialHeaders as readonly string[]).includes(name)) continue;
    out[name] = value;
  }
  out["accept-encoding"] = "identity";
  if (route.key) Object.assign(out, keyHeader(route.auth, route.key));
  return out;
}

function keyHeader(style: AuthStyle, key: string): Record<string, string> {
  switch (style) {
    case "bearer":
      return { authorization: `Bearer ${key}` };
    case "x-api-key":
      return { "x-api-key": key };
    case "x-goog-api-key":
      return { "x-goog-api-key": key };
    case "api-key":
      return { "api-key": key };
  }
}
