import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/** Space a folder takes and when anything in it last changed. */
export interface DiskUse {
  /** Bytes of disk blocks in use, like `du` (a file hard-linked twice counts once). */
  bytes: number;
  /** Newest modification time (ms) of anything under the folder, the folder included. */
  modifiedAt: number;
}

/**
 * Walks `dir` adding up what its files occupy, skipping `skip` (names relative to `dir`, e.g. a
 * worktree's `.git` file). Entries that vanish during the walk are ignored; symbolic links are not followed.
 */
export async function measureDiskUse(dir: string, skip: readonly string[] = []): Promise<DiskUse> {
  const seen = new Set<string>();
  const use: DiskUse = { bytes: 0, modifiedAt: 0 };
  const add = async (file: string): Promise<boolean> => {
    const info = await lstat(file).catch(() => undefined);
    if (!info) return false;
    use.modifiedAt = Math.max(use.modifiedAt, info.mtimeMs);
    const inode = `${info.dev}:${info.ino}`;
    if (!seen.has(inode)) {
      seen.add(inode);
      use.bytes += info.blocks * 512;
    }
    return info.isDirectory();
  };
  const walk = async (folder: string, top: boolean): Promise<void> => {
    const names = await readdir(folder).catch(() => [] as string[]);
    const kept = top ? names.filter((name) => !skip.includes(name)) : names;
    const children = kept.map((name) => path.join(folder, name));
    const isDir = await Promise.all(children.map(add));
    for (const [index, child] of children.entries()) if (isDir[index]) await walk(child, false);
  };
  if (await add(dir)) await walk(dir, true);
  return use;
}
