/**
 * Shapes of secrets that must never be stored in memory, mail, task prompts, logs or events.
 * Each has a `kind` that errors name instead of the value. Where only part of a match is the
 * secret (`password=…`, `https://user:…@host`), the `secret` group marks it, so redaction keeps
 * the rest readable and placeholders (`${TOKEN}`, `<password>`) are not mistaken for secrets.
 * A pattern may only start where a token (or URL scheme) starts, and a run it repeats is bounded
 * or ends its match: scanning stays linear, so a 100 KB prompt of `a.a.a.…` cannot stall intake.
 */
interface SecretPattern {
  kind: string;
  /** Flags must include `g` and `d` (match indices, for the `secret` group). */
  pattern: RegExp;
  /** Says whether the matched secret is real rather than a placeholder or a variable reference. */
  isSecret?: (value: string) => boolean;
}

/** `${TOKEN}`, `<password>`, `{{ secrets.X }}`, `%s`, `xxxxxxxx`, `********`: stand-ins, not secrets. */
function isPlaceholder(value: string): boolean {
  return /^[$<{%[]/.test(value) || /^(.)\1*$/.test(value) || /^(\.\.\.|…)/.test(value);
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

const patterns: readonly SecretPattern[] = [
  {
    kind: "private key",
    // Through the END line (or the end of the text) so redaction removes the key body too.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)/dg,
  },
  { kind: "AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/dg },
  {
    kind: "AWS secret access key",
    pattern:
      /\baws_?secret_?access_?key["']?\s*[:=]\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  {
    kind: "GitHub token",
    pattern:
      /(?<![\w-])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|(?<![\w-])github_pat_[A-Za-z0-9_]{40,}\b/dg,
  },
  { kind: "GitLab token", pattern: /(?<![\w-])glpat-[A-Za-z0-9_-]{20,}/dg },
  { kind: "Anthropic API key", pattern: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/dg },
  { kind: "OpenAI API key", pattern: /(?<![\w-])sk-(?!ant-)[A-Za-z0-9_-]{20,}/dg },
  { kind: "Stripe secret key", pattern: /(?<![\w-])[rs]k_live_[0-9A-Za-z]{20,}/dg },
  { kind: "Slack token", pattern: /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/dg },
  { kind: "npm token", pattern: /(?<![\w-])npm_[A-Za-z0-9]{36}\b/dg },
  { kind: "Google API key", pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/dg },
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
    kind: "password or token assignment",
    pattern: new RegExp(
      `(?<![A-Za-z0-9])(?:${assignedNames})["']?\\s*[:=]\\s*["']?(?<secret>[^\\s"'\`<>{}()\\[\\],;]{8,})`,
      "dgi",
    ),
    isSecret: looksLikeAssignedSecret,
  },
];

/** One secret found in a text: its kind and where it sits (`end` exclusive). */
export interface SecretMatch {
  kind: string;
  start: number;
  end: number;
}

/** Every secret-looking span in the text, in pattern order (spans of different kinds may overlap). */
export function scanForSecrets(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  for (const { kind, pattern, isSecret } of patterns) {
    for (const match of text.matchAll(pattern)) {
      const [start, end] = match.indices?.groups?.secret ?? [match.index, match.index + match[0].length];
      if (isSecret && !isSecret(text.slice(start, end))) continue;
      found.push({ kind, start, end });
    }
  }
  return found;
}

/** The distinct kinds of secret the text seems to contain (empty when none). */
export function findSecretKinds(text: string): string[] {
  return [...new Set(scanForSecrets(text).map((match) => match.kind))];
}

/** The first kind of secret the text seems to contain, or undefined. */
export function findSecret(text: string): string | undefined {
  return findSecretKinds(text)[0];
}

/**
 * Replaces secret-looking spans with `[redacted]`, keeping what surrounds them
 * (`password=[redacted]`, `https://user:[redacted]@host`). For text leaving drover: logs, events,
 * error messages copied from providers.
 */
export function redactSecrets(text: string): string {
  const merged: { start: number; end: number }[] = [];
  for (const { start, end } of scanForSecrets(text).sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  let out = "";
  let cursor = 0;
  for (const { start, end } of merged) {
    out += `${text.slice(cursor, start)}[redacted]`;
    cursor = end;
  }
  return out + text.slice(cursor);
}
