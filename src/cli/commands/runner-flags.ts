import { readFileSync } from "node:fs";
import type { z } from "zod";
import { DroverError } from "../../core/errors.ts";
import { EngineName, SandboxProfile } from "../../core/task-spec.ts";

/** The settings a runner keeps beside its fields, from `--engine` and `--sandbox`; a bad one is exit 2 naming the known. */
export function runnerSettingsOf(
  flags: { engine?: string; sandbox?: string; tier?: string },
  tiers: Readonly<Record<string, unknown>> = {},
): {
  engine?: EngineName;
  sandbox?: SandboxProfile;
  tier?: string;
} {
  const engine = choiceFlag(EngineName, flags.engine, "--engine", "engine", "engines");
  const sandbox = choiceFlag(SandboxProfile, flags.sandbox, "--sandbox", "profile", "profiles");
  if (flags.tier !== undefined && !(flags.tier in tiers))
    throw new DroverError(
      "bad_input",
      `--tier: unknown tier "${flags.tier}" (${Object.keys(tiers).length > 0 ? `routing.tiers has: ${Object.keys(tiers).join(", ")}` : "routing.tiers is empty"})`,
    );
  return {
    ...(engine ? { engine } : {}),
    ...(sandbox ? { sandbox } : {}),
    ...(flags.tier !== undefined ? { tier: flags.tier } : {}),
  };
}

function choiceFlag<T extends string>(
  choices: z.ZodEnum<{ [K in T]: K }>,
  value: string | undefined,
  flag: string,
  noun: string,
  plural: string,
): T | undefined {
  if (value === undefined) return undefined;
  const parsed = choices.safeParse(value);
  if (!parsed.success)
    throw new DroverError(
      "bad_input",
      `${flag}: unknown ${noun} "${value}" (${plural}: ${choices.options.join(", ")})`,
    );
  return parsed.data as T;
}

/** The text of `--instructions FILE`; an unreadable file is exit 2 naming it. */
export function readInstructions(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new DroverError("bad_input", `--instructions: cannot read ${file}: ${(error as Error).message}`);
  }
}
