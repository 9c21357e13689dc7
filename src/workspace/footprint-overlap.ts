import picomatch from "picomatch";

// A task's footprint is a list of paths and globs relative to its repository (`touches:` plus the
// paths its prompt and files name). Two tasks on one repository whose footprints overlap do not
// run at the same time. A glob against a glob cannot be decided in general, so that case is judged
// by their literal prefixes: it may keep apart two tasks that would not have met, never the reverse.

/** Whether two footprints may touch the same file. An empty footprint overlaps nothing. */
export function footprintsOverlap(a: readonly string[], b: readonly string[]): boolean {
  return a.some((left) => b.some((right) => entriesOverlap(left, right)));
}

/** The first pair of entries that overlap, for the reason shown to the user. */
export function firstOverlap(a: readonly string[], b: readonly string[]): [string, string] | undefined {
  for (const left of a) for (const right of b) if (entriesOverlap(left, right)) return [left, right];
  return undefined;
}

function entriesOverlap(left: string, right: string): boolean {
  const a = normalize(left);
  const b = normalize(right);
  const aGlob = picomatch.scan(a).isGlob;
  const bGlob = picomatch.scan(b).isGlob;
  if (!aGlob && !bGlob) return nested(a, b);
  if (!aGlob) return literalMeetsGlob(a, b);
  if (!bGlob) return literalMeetsGlob(b, a);
  return nested(picomatch.scan(a).base, picomatch.scan(b).base);
}

/** A literal path (a file, or a folder and all under it) against a glob. */
function literalMeetsGlob(literal: string, glob: string): boolean {
  if (picomatch.isMatch(literal, glob, { dot: true })) return true;
  const base = picomatch.scan(glob).base;
  // The literal names a folder the glob reaches into (`src` and `src/**/*.ts`).
  return base === "" || base === literal || isUnder(base, literal);
}

/** One path is the other or lies under it (a folder holds its files). */
function nested(a: string, b: string): boolean {
  return a === "" || b === "" || a === b || isUnder(a, b) || isUnder(b, a);
}

function isUnder(inner: string, outer: string): boolean {
  return inner.startsWith(`${outer}/`);
}

function normalize(entry: string): string {
  return entry
    .trim()
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\/{2,}/g, "/");
}
