import { existsSync } from "node:fs";
import path from "node:path";

// What a task will likely change, relative to its repository: its `touches:` globs, the paths its
// prompt names, and its attached files. Used to keep tasks whose footprints overlap from running
// at the same time (conflict-aware scheduling); shown by `drover plan`.

/** A token that looks like a file path: has a folder separator or a file extension. */
const pathLike = /^(?:\.{0,2}\/)?[\w@.+-]+(?:\/[\w@.+-]+)*\/?$/;
const extension = /\.[A-Za-z][A-Za-z0-9]{0,7}$/;

/** `touches` plus the repository paths named in the prompt and the attached files, without duplicates. */
export function taskFootprint(input: {
  repo: string;
  /** The folder the agent works in (absolute). */
  dir: string;
  prompt: string;
  files: readonly string[];
  touches: readonly string[];
}): string[] {
  const found = new Set(input.touches.map((entry) => entry.trim()).filter(Boolean));
  for (const token of promptPaths(input.prompt)) {
    const inRepo = repoRelative(input.repo, path.resolve(input.dir, token));
    if (inRepo !== undefined && (existsSync(path.join(input.repo, inRepo)) || extension.test(token)))
      found.add(inRepo);
  }
  for (const file of input.files) {
    const inRepo = repoRelative(input.repo, file);
    if (inRepo !== undefined) found.add(inRepo);
  }
  return [...found];
}

/** Tokens of the prompt that look like paths (`src/app.ts`, `README.md`, `docs/`), quotes and punctuation stripped. */
export function promptPaths(prompt: string): string[] {
  const out: string[] = [];
  for (const raw of prompt.split(/\s+/)) {
    const token = raw
      .replace(/^[`'"(<[]+/, "")
      .replace(/[`'")>\]:;,!?]+$/, "")
      .replace(/\.$/, "");
    if (token.length < 3 || /^[a-z]+:\/\//i.test(token) || !pathLike.test(token)) continue;
    if (!token.includes("/") && !extension.test(token)) continue;
    // Version numbers and plain numbers (1.2.3, 0.5) are not paths.
    if (/^[\d.]+$/.test(token) || /^(?:e\.g|i\.e|etc|vs)$/i.test(token)) continue;
    out.push(token);
  }
  return out;
}

function repoRelative(repo: string, absolute: string): string | undefined {
  const relative = path.relative(repo, absolute);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}
