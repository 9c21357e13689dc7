import { redactSecrets } from "../security/secret-scan.ts";

// What keeps secrets out of log lines: field names that always hold one (masked whole, by pino's
// `redact` paths and again at any depth), and secret-looking text anywhere (the intake's scanner,
// which also knows the exact values drover passes to workers, plus `redis://:password@host`).

const censored = "[redacted]";

/** Field names whose value is a secret whatever it looks like (compared without case, `_` or `-`). */
const secretFieldNames: ReadonlySet<string> = new Set([
  "token",
  "apitoken",
  "accesstoken",
  "authtoken",
  "refreshtoken",
  "password",
  "passwd",
  "passphrase",
  "secret",
  "clientsecret",
  "apikey",
  "authorization",
  "cookie",
  "setcookie",
]);

/** Fields holding a URL that may carry a password: only the password is masked. */
const urlFieldNames: ReadonlySet<string> = new Set(["redis", "redisurl", "url"]);

const normalize = (name: string) => name.toLowerCase().replace(/[-_]/g, "");

/** Says whether a field of this name is masked whole. */
export function isSecretFieldName(name: string): boolean {
  return secretFieldNames.has(normalize(name));
}

/**
 * pino `redact` paths: the usual spellings of secret fields at the top level and one level down
 * (pino's wildcards do not recurse; `redactLogFields` covers deeper ones).
 */
export const logRedactPaths: readonly string[] = [
  ...[
    "token",
    "apiToken",
    "accessToken",
    "password",
    "secret",
    "apiKey",
    "api_key",
    "authorization",
    "redis",
    "redisUrl",
  ].flatMap((name) => [name, `*.${name}`]),
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

/** pino's censor: a URL field keeps everything but its password; any other secret field is masked whole. */
export function censorLogPath(value: unknown, path: string[]): unknown {
  const field = path.at(-1) ?? "";
  if (urlFieldNames.has(normalize(field)) && typeof value === "string") return maskUrlPassword(value);
  return censored;
}

/**
 * `scheme://:password@host` (no user name: Redis's usual form) and `scheme://user:password@host`,
 * placeholders included: a log line never needs a URL's password.
 */
const urlPasswordPattern = /([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@]{0,256}:)[^\s/@]{1,256}@/gi;

/** `redis://user:secret@host` → `redis://user:[redacted]@host`. */
export function maskUrlPassword(text: string): string {
  return text.replace(urlPasswordPattern, `$1${censored}@`);
}

/**
 * A text with every secret-looking span and known secret value replaced by `[redacted]` (bearer
 * headers and drover's API token are shapes the scanner knows).
 */
export function redactLogText(text: string): string {
  return maskUrlPassword(redactSecrets(text));
}

/**
 * A log line's fields with secrets masked at any depth: secret-named fields whole, URL fields'
 * passwords, secret-looking text in every string. Errors become `{type, message, stack}` (masked
 * too), since their text often quotes a request. Returns plain data; cycles are cut.
 */
export function redactLogFields(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactLogText(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (value instanceof Error) {
    return {
      type: value.name,
      message: redactLogText(value.message),
      ...(value.stack ? { stack: redactLogText(value.stack) } : {}),
      ...("code" in value && value.code !== undefined ? { code: value.code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redactLogFields(item, seen));
  if (value instanceof Map) return redactLogFields(Object.fromEntries(value), seen);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined && isSecretFieldName(key)) out[key] = censored;
    else if (urlFieldNames.has(normalize(key)) && typeof item === "string") out[key] = maskUrlPassword(item);
    else out[key] = redactLogFields(item, seen);
  }
  return out;
}
