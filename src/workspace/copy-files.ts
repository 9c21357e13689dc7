import { cp, lstat, readdir } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { errorMessage } from "../core/errors.ts";

/** Folders a glob never walks into unless it names them: git's own, and dependency trees. */
const skippedFolders = new Set([".git", "node_modules"]);

/**
 * Copies what `patterns` (paths or globs relative to the repository, e.g. `.env`, `.env.*`,
 * `config/*.local.json`) name from the main tree `from` into the worktree `to`. A path that is
 * not there is skipped. Returns the paths copied, relative, in order.
 */
export async function copyIntoWorktree(
  from: string,
  to: string,
  patterns: readonly string[],
): Promise<{ ok: true; copied: string[] } | { ok: false; message: string }> {
  const copied: string[] = [];
  for (const pattern of patterns) {
    const relative = pattern.replace(/\\/g, "/").replace(/^\.\//, "");
    if (path.isAbsolute(relative) || relative.split("/").includes("..") || relative === "")
      return { ok: false, message: `copy: "${pattern}" must be a path inside the repository` };
    const matches = picomatch.scan(relative).isGlob ? await globMatches(from, relative) : [relative];
    for (const match of matches) {
      if (copied.includes(match)) continue;
      const exists = await lstat(path.join(from, match)).then(
        () => true,
        () => false,
      );
      if (!exists) continue;
      try {
        await cp(path.join(from, match), path.join(to, match), {
          recursive: true,
          force: true,
          preserveTimestamps: true,
          verbatimSymlinks: true,
        });
      } catch (error) {
        return {
          ok: false,
          message: `copy: could not copy ${match} into the worktree: ${errorMessage(error)}`,
        };
      }
      copied.push(match);
    }
  }
  return { ok: true, copied };
}

/** Files and folders under `from` that `glob` matches, walking only as deep as it can reach. */
async function globMatches(from: string, glob: string): Promise<string[]> {
  const { base } = picomatch.scan(glob);
  const isMatch = picomatch(glob, { dot: true });
  const rest = base === "" ? glob : glob.slice(base.length + 1);
  const maxDepth = rest.includes("**") ? Number.POSITIVE_INFINITY : rest.split("/").length;
  const found: string[] = [];
  const walk = async (relative: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(from, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (isMatch(child)) {
        found.push(child);
        continue;
      }
      if (entry.isDirectory() && depth < maxDepth && !skippedFolders.has(entry.name))
        await walk(child, depth + 1);
    }
  };
  await walk(base, 1);
  return found;
}
