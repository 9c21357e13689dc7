import { type KnownSecrets, knownSecrets } from "./known-secrets.ts";
import { secretPatterns } from "./secret-patterns.ts";

// Finding secrets in text, and taking them out: by shape (secret-patterns.ts) and by exact value
// (known-secrets.ts: what this process holds and hands to its workers).

/** One secret found in a text: its kind and where it sits (`end` exclusive). */
export interface SecretMatch {
  kind: string;
  start: number;
  end: number;
}

/** Which registry of exact values to consult (default: this process's). */
export interface ScanOptions {
  known?: KnownSecrets;
}

/** No pattern matches fewer characters than this, nor does a known value. */
const shortestSecret = 8;

/**
 * Every secret-looking span in the text, in pattern order, then known values (spans of different
 * kinds may overlap; a broad `fallback` kind only where nothing else matched).
 */
export function scanForSecrets(text: string, options: ScanOptions = {}): SecretMatch[] {
  if (text.length < shortestSecret) return [];
  const found: SecretMatch[] = [];
  for (const { kind, pattern, isSecret, fallback } of secretPatterns) {
    for (const match of text.matchAll(pattern)) {
      const [start, end] = match.indices?.groups?.secret ?? [match.index, match.index + match[0].length];
      if (isSecret && !isSecret(text.slice(start, end))) continue;
      if (fallback && found.some((other) => other.start < end && start < other.end)) continue;
      found.push({ kind, start, end });
    }
  }
  for (const { name, start, end } of (options.known ?? knownSecrets).find(text))
    found.push({ kind: `the value of $${name}`, start, end });
  return found;
}

/** The distinct kinds of secret the text seems to contain (empty when none). */
export function findSecretKinds(text: string, options: ScanOptions = {}): string[] {
  return [...new Set(scanForSecrets(text, options).map((match) => match.kind))];
}

/** The first kind of secret the text seems to contain, or undefined. */
export function findSecret(text: string, options: ScanOptions = {}): string | undefined {
  return findSecretKinds(text, options)[0];
}

/**
 * Replaces secret-looking spans and known secret values with `[redacted]`, keeping what surrounds
 * them (`password=[redacted]`, `https://user:[redacted]@host`). For text leaving drover: logs,
 * events, results, API responses, error messages copied from providers.
 */
export function redactSecrets(text: string, options: ScanOptions = {}): string {
  const matches = scanForSecrets(text, options);
  if (matches.length === 0) return text;
  const merged: { start: number; end: number }[] = [];
  for (const { start, end } of matches.sort((a, b) => a.start - b.start)) {
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
