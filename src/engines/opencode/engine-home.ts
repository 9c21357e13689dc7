import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The isolated HOME and XDG tree one OpenCode server runs in. */
export interface EngineHome {
  root: string;
  env: Record<string, string>;
}

/** The version the plugin-install stub pins; matches the opencode-ai dependency. */
export const opencodeVersion = "1.18.33";

/** HOME and the XDG folders of the home under `root` (nothing is created). */
export function engineHomeEnv(root: string) {
  const home = path.join(root, "home");
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_STATE_HOME: path.join(home, ".local", "state"),
  };
}

/**
 * Creates (idempotently) a HOME/XDG tree under `root` and seeds the stub that stops OpenCode
 * from running `npm install @opencode-ai/plugin` into its config dir on first boot.
 */
export function prepareEngineHome(root: string): EngineHome {
  const env = engineHomeEnv(root);
  for (const dir of Object.values(env)) mkdirSync(dir, { recursive: true });
  const configDir = path.join(env.XDG_CONFIG_HOME, "opencode");
  mkdirSync(path.join(configDir, "node_modules"), { recursive: true });
  const dependencies = { "@opencode-ai/plugin": opencodeVersion };
  writeFileSync(path.join(configDir, "package.json"), JSON.stringify({ dependencies }));
  writeFileSync(
    path.join(configDir, "package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies } } }),
  );
  return { root, env };
}
