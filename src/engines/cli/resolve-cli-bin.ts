import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** Packages that install a CLI drover can run, by binary name, with where the binary is inside. */
const packages: Record<string, { name: string; bin: string }> = {
  claude: { name: "@anthropic-ai/claude-code", bin: "bin/claude.exe" },
  codex: { name: "@openai/codex", bin: "bin/codex.js" },
};

/**
 * Finds a CLI: `DROVER_<NAME>_BIN`, the package installed beside drover (a dev dependency here;
 * users may install it so), else the first executable `name` on PATH. Undefined when none.
 */
export function resolveCliBin(name: string, pathVariable: string | undefined): string | undefined {
  const fromEnv = process.env[`DROVER_${name.toUpperCase()}_BIN`];
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  const known = packages[name];
  if (known) {
    try {
      const dir = path.dirname(require.resolve(`${known.name}/package.json`));
      const bin = path.join(dir, known.bin);
      if (executable(bin)) return bin;
    } catch {
      // not installed beside drover
    }
  }
  for (const dir of (pathVariable ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
