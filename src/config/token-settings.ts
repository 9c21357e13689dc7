import { createPrivateKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/** What an installation token may do unless `tokens.github.permissions` says otherwise. */
export const defaultTokenPermissions = {
  contents: "write",
  pull_requests: "write",
  issues: "write",
} as const;

/** A GitHub App drover mints short-lived installation tokens from, one per task and repository. */
export const GithubAppSettings = z.strictObject({
  appId: z
    .union([z.number().int().positive(), z.string().min(1)])
    .describe("The GitHub App's id (or client id): the `iss` of the app's JWT."),
  privateKeyPath: z
    .string()
    .min(1)
    .describe(
      "The app's private key (PEM), relative to the project folder; must be mode 0600 (or stricter) and owned by you.",
    ),
  installationId: z
    .union([z.number().int().positive(), z.string().regex(/^\d+$/, "must be a number")])
    .describe("The app's installation on the account that owns the repositories."),
  permissions: z
    .record(z.string().min(1), z.enum(["read", "write", "admin"]))
    .default({ ...defaultTokenPermissions })
    .describe('What each token may do, e.g. {"contents": "write", "pull_requests": "write"}.'),
  apiBaseUrl: z
    .url()
    .default("https://api.github.com")
    .describe("GitHub REST API base URL the app lives on (GitHub Enterprise: https://HOST/api/v3)."),
});
export type GithubAppSettings = z.infer<typeof GithubAppSettings>;

/** Where the GitHub tokens of tasks come from: `tokens` in drover.json. */
export const TokenSettings = z
  .strictObject({
    mode: z
      .enum(["app", "delegated"])
      .optional()
      .describe(
        "app: a token per task and repository from `github` (the default when `github` is set); delegated: your own GITHUB_TOKEN/GH_TOKEN, with a warning on every run. Unset without `github`: no token.",
      ),
    github: GithubAppSettings.optional().describe(
      "The GitHub App tokens are minted from: appId, privateKeyPath, installationId, permissions, apiBaseUrl.",
    ),
  })
  .refine((tokens) => tokens.mode !== "app" || tokens.github !== undefined, {
    message: 'mode "app" needs tokens.github (appId, privateKeyPath, installationId)',
    path: ["github"],
  });
export type TokenSettings = z.infer<typeof TokenSettings>;

/** The mode in effect: `mode` when set, else `app` with a `github` block, else none (no token). */
export function tokenMode(tokens: TokenSettings): "app" | "delegated" | "none" {
  return tokens.mode ?? (tokens.github ? "app" : "none");
}

/** The private key file's absolute path (relative paths are from the project folder). */
export function privateKeyFile(github: GithubAppSettings, root: string): string {
  return path.resolve(root, github.privateKeyPath);
}

/**
 * Why the app's private key file cannot be used, or undefined: missing, readable or writable by
 * others than its owner, owned by someone else, or not a private key. A key others can read is
 * a key others can mint tokens with, so drover refuses it rather than warn.
 */
export function privateKeyProblem(file: string): string | undefined {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch {
    return `private key ${file} not found`;
  }
  if (!stat.isFile()) return `private key ${file} is not a file`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    return `private key ${file} is owned by uid ${stat.uid}, not by you (uid ${uid})`;
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0)
    return `private key ${file} has mode 0${mode.toString(8)}: others may read it; run chmod 600 ${file}`;
  try {
    createPrivateKey(readFileSync(file));
  } catch {
    return `private key ${file} is not a PEM private key`;
  }
  return undefined;
}
