/** Shannon entropy of a string in bits per character: ~4 for random hex, ~6 for random base64. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Below this, a value reads like words or a counter (`created_at_2024`), not like a key. */
const minimumBitsPerChar = 3.2;

/**
 * Says whether a value found next to a credential name (`token: …`, `SIGNING_KEY=…`) is itself
 * credential-like: at least 16 characters mixing letters and digits, varied enough to be random,
 * and not a path, URL or dotted reference (`process.env.API_KEY`).
 */
export function looksLikeCredential(value: string): boolean {
  if (value.length < 16) return false;
  if (/^[~./]/.test(value) || value.includes("//")) return false;
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(value)) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  return shannonEntropy(value) >= minimumBitsPerChar;
}
