import path from "node:path";
import type { LoadedConfig } from "../config/load.ts";
import type { RepoSettings } from "../config/workspace-settings.ts";
import { RepoSettings as RepoSettingsSchema } from "../config/workspace-settings.ts";

/** Where task worktrees and the shared dependency cache live (config `workspace.root`/`cacheDir`, else under the state dir). */
export function workspacePaths(loaded: LoadedConfig): { root: string; cacheDir: string } {
  const { workspace } = loaded.config;
  return {
    root: workspace.root
      ? path.resolve(loaded.root, workspace.root)
      : path.join(loaded.stateDir, "worktrees"),
    cacheDir: workspace.cacheDir
      ? path.resolve(loaded.root, workspace.cacheDir)
      : path.join(loaded.stateDir, "cache"),
  };
}

/** The settings of the repository at `repo` (config `repos`, keys relative to the project folder), else the defaults. */
export function repoSettingsFor(loaded: LoadedConfig): (repo: string) => RepoSettings {
  const byPath = new Map(
    Object.entries(loaded.config.repos).map(([key, settings]) => [path.resolve(loaded.root, key), settings]),
  );
  const defaults = RepoSettingsSchema.parse({});
  return (repo) => byPath.get(path.resolve(repo)) ?? defaults;
}
