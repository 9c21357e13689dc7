import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { DroverError } from "../../core/errors.ts";

const require = createRequire(import.meta.url);

/**
 * Finds the opencode binary: the configured one, else the one installed with drover
 * (`opencode-ai`'s postinstall links it; without postinstall, the platform package's binary).
 */
export function resolveOpencodeBin(configured: string | undefined): string {
  if (configured) {
    if (!existsSync(configured)) {
      throw new DroverError("bad_config", `opencode.bin: no file at ${configured}`);
    }
    return configured;
  }
  const candidates: string[] = [];
  try {
    candidates.push(
      path.join(path.dirname(require.resolve("opencode-ai/package.json")), "bin", "opencode.exe"),
    );
  } catch {
    // opencode-ai is not installed; try the platform packages below.
  }
  const arch = process.arch === "x64" ? "x64" : process.arch;
  for (const variant of ["", "-baseline", "-musl", "-baseline-musl"]) {
    try {
      const dir = path.dirname(
        require.resolve(`opencode-${process.platform}-${arch}${variant}/package.json`),
      );
      candidates.push(path.join(dir, "bin", "opencode"));
    } catch {
      // not installed
    }
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new DroverError(
      "engine_start_failed",
      "cannot find the opencode binary: run `npm install` (opencode-ai is a dependency) or set opencode.bin / DROVER_OPENCODE_BIN",
    );
  }
  return found;
}
