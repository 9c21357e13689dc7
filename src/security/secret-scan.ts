/** Shapes of secrets that must never be stored in memory, mail or prompts drover writes. */
const patterns: { name: string; pattern: RegExp }[] = [
  { name: "private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: "AWS access key", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    name: "GitHub token",
    pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/,
  },
  { name: "OpenAI or Anthropic API key", pattern: /\bsk-(ant-)?[A-Za-z0-9_-]{20,}\b/ },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { name: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: "JSON web token", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/ },
  {
    name: "password assignment",
    pattern: /\b(password|passwd|secret|api[_-]?key|token)\s*[:=]\s*["']?[^\s"']{8,}/i,
  },
  { name: "URL with credentials", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i },
];

/** The kind of secret the text seems to contain, or undefined. */
export function findSecret(text: string): string | undefined {
  return patterns.find(({ pattern }) => pattern.test(text))?.name;
}

/** Replaces secret-looking substrings with `[redacted]` (for logs and events). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern } of patterns)
    out = out.replace(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`), "[redacted]");
  return out;
}
