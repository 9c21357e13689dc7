import { looksLikeCredential } from "./secret-entropy.ts";

/**
 * The shapes of secrets drover recognises, each with the `kind` that errors name instead of the
 * value. Where only part of a match is the secret (`password=…`, `https://user:…@host`), the
 * `secret` group marks it, so redaction keeps the rest readable and placeholders (`${TOKEN}`,
 * `<password>`) are not mistaken for secrets. A pattern may only start where a token (or URL
 * scheme) starts, and a run it repeats is bounded or ends its match: scanning stays linear, so a
 * 100 KB prompt of `a.a.a.…` cannot stall intake.
 */
export interface SecretPattern {
  kind: string;
  /** Flags must include `g` and `d` (match indices, for the `secret` group). */
  pattern: RegExp;
  /** Says whether the matched secret is real rather than a placeholder or a variable reference. */
  isSecret?: (value: string) => boolean;
  /** A broad pattern: reported only where no other kind already matched. */
  fallback?: boolean;
}

/** `${TOKEN}`, `<password>`, `{{ secrets.X }}`, `%s`, `xxxxxxxx`, `********`, `password`: stand-ins, not secrets. */
export function isPlaceholder(value: string): boolean {
  return (
    /^[$<{%[]/.test(value) ||
    /^(.)\1*$/.test(value) ||
    /^(\.\.\.|…)/.test(value) ||
    /^(?:your[-_]?|my[-_]?)?(?:password|passwd|pass|secret|changeme|token|example|placeholder|redacted)$/i.test(
      value,
    )
  );
}

/**
 * The part after a provider's prefix (`ghp_…`, `sk-…`) is a key, not a stand-in written in docs:
 * no long run of one character (`xxxx…`, `****`) and no "your-key-here" words.
 */
function isKeyBody(value: string): boolean {
  return !/(.)\1{4}/.test(value) && !/your|here|placeholder|replace|changeme|redacted/i.test(value);
}

/** An assigned value counts as a secret when it mixes letters and digits and is no reference, path or URL. */
function looksLikeAssignedSecret(value: string): boolean {
  if (isPlaceholder(value)) return false;
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(value)) return false; // process.env.TOKEN
  if (/^[~.]?\//.test(value) || value.includes("://")) return false; // a path or a URL
  return /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

const assignedNames =
  "password|passwd|passphrase|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|token";

/**
 * Names that say the value next to them is a credential, beyond `assignedNames`: compound keys
 * (`private_key`, `SIGNING_KEY`), `credentials`, `auth`, `x-api-key`, `session_token`. Only a
 * high-entropy value next to one counts, so `sort_key: created_at` or `auth: required` pass.
 */
const credentialNames =
  "(?:api|access|secret|private|signing|encryption|master|client|deploy|account|service|app|auth|session|license)[_-]?(?:key|token|secret)|apikey|credentials?|auth|x-api-key|pwd|pat";

const prefixed = (kind: string, pattern: RegExp): SecretPattern => ({
  kind,
  pattern,
  isSecret: isKeyBody,
});

export const secretPatterns: readonly SecretPattern[] = [
  {
    kind: "private key",
    // Through the END line (or the end of the text) so redaction removes the key body too.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)/dg,
  },
  {
    kind: "AWS access key id",
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/dg,
    isSecret: (value) => !/(.)\1{4}/.test(value),
  },
  {
    kind: "AWS secret access key",
    pattern:
      /\baws_?secret_?access_?key["']?\s*[:=]\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  prefixed(
    "GitHub token",
    /(?<![\w-])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|(?<![\w-])github_pat_[A-Za-z0-9_]{40,}\b/dg,
  ),
  prefixed("GitLab token", /(?<![\w-])(?:glpat|gldt|glrt|glptt)-[A-Za-z0-9_-]{20,}/dg),
  prefixed("Anthropic API key", /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/dg),
  prefixed("OpenAI API key", /(?<![\w-])sk-(?!ant-)[A-Za-z0-9_-]{20,}/dg),
  prefixed("Stripe secret key", /(?<![\w-])[rs]k_(?:live|test)_[0-9A-Za-z]{20,}/dg),
  prefixed("Slack token", /(?<![\w-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}/dg),
  prefixed("npm token", /(?<![\w-])npm_[A-Za-z0-9]{36}\b/dg),
  prefixed("Google API key", /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/dg),
  prefixed("drover API token", /(?<![\w-])drv_[A-Za-z0-9_-]{16,}/dg),
  prefixed("drover gateway credential", /(?<![\w-])gwc_[A-Za-z0-9_-]{16,}/dg),
  {
    kind: "JSON web token",
    pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/dg,
  },
  {
    kind: "password in URL",
    pattern: /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@]{1,256}:(?<secret>[^\s/@]{1,256})@/dgi,
    isSecret: (value) => !isPlaceholder(value),
  },
  {
    kind: "authorization header credential",
    // `Bearer <token>` anywhere; `Basic`/`token` schemes after an `Authorization` name.
    pattern:
      /(?<![A-Za-z0-9])(?:bearer|authorization["']?\s*[:=]\s*["']?(?:basic|token|bearer))\s+(?<secret>[A-Za-z0-9._~+/=-]{8,})/dgi,
    isSecret: (value) => !isPlaceholder(value) && /[0-9]/.test(value),
  },
  {
    kind: "password or token assignment",
    pattern: new RegExp(
      `(?<![A-Za-z0-9])(?:${assignedNames})["']?\\s*[:=]\\s*["']?(?<secret>[^\\s"'\`<>{}()\\[\\],;]{8,})`,
      "dgi",
    ),
    isSecret: looksLikeAssignedSecret,
  },
  {
    kind: "high-entropy string in credential context",
    pattern: new RegExp(
      `(?<![A-Za-z0-9])(?:${credentialNames})["']?\\s*(?:[:=]|=>)\\s*["']?(?<secret>[A-Za-z0-9+/=_.~-]{16,512})`,
      "dgi",
    ),
    isSecret: (value) => !isPlaceholder(value) && looksLikeCredential(value),
    fallback: true,
  },
];
