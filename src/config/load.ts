import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import type { z } from "zod";
import { badInput, type InputIssue } from "../core/errors.ts";
import { DroverConfig } from "./schema.ts";
import { privateKeyFile, privateKeyProblem } from "./token-settings.ts";
import { watchdogContradictions } from "./watchdog-settings.ts";

export const defaultConfigFile = "drover.json";

/** Environment variables drover reads, each mapped to a config path. Env is read only here. */
const envMap: Record<string, { path: string[]; kind: "string" | "int" }> = {
  DROVER_STATE_DIR: { path: ["stateDir"], kind: "string" },
  DROVER_MODEL: { path: ["model"], kind: "string" },
  DROVER_AGENT: { path: ["agent"], kind: "string" },
  DROVER_CONCURRENCY: { path: ["capacity", "maxWorkers"], kind: "int" },
  DROVER_STRATEGY: { path: ["strategy"], kind: "string" },
  DROVER_PORT: { path: ["daemon", "port"], kind: "int" },
  DROVER_TASK_TIMEOUT: { path: ["taskTimeout"], kind: "string" },
  DROVER_OPENCODE_BIN: { path: ["opencode", "bin"], kind: "string" },
  DROVER_OPENCODE_ATTACH: { path: ["opencode", "attach"], kind: "string" },
  DROVER_OPENCODE_SERVERS: { path: ["opencode", "servers"], kind: "int" },
  DROVER_REDIS: { path: ["queue", "redis"], kind: "string" },
  DROVER_LOG_LEVEL: { path: ["logLevel"], kind: "string" },
};

/** The command-line flag that sets a config path, to name it in errors (`-c 0` → `--concurrency`). */
const flagNames: Record<string, string> = {
  "capacity.maxWorkers": "--concurrency",
  "opencode.servers": "--servers",
  taskTimeout: "--timeout",
  stateDir: "--state-dir",
  "daemon.port": "--port",
  "daemon.host": "--host",
  "queue.redis": "--redis",
  model: "--model",
  agent: "--agent",
  strategy: "--strategy",
};

export interface LoadConfigOptions {
  cwd: string;
  /**
   * `--config FILE`; when absent, drover looks upwards from cwd (as git does) for the nearest folder
   * holding `drover.json` or a `.drover` state dir, and uses that folder's `drover.json` if it exists.
   */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** Values from command-line flags, already shaped like the config. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Readonly<DroverConfig>;
  /** The config file that was read, if any. */
  file?: string;
  /** Absolute state dir. */
  stateDir: string;
  /** The folder drover took as the project's (where `drover.json` or `.drover` was found; else cwd). */
  root: string;
}

/**
 * The nearest folder at or above `cwd` that holds `drover.json` or a `.drover` state dir, so
 * commands work from any subdirectory of a project. The search stops at the root of the git
 * repository it starts in (a project never takes a state dir from outside its repository) and
 * never looks at the filesystem root itself.
 */
export function findProjectRoot(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    if (existsSync(path.join(dir, defaultConfigFile)) || isDirectory(path.join(dir, ".drover"))) return dir;
    if (existsSync(path.join(dir, ".git"))) return undefined;
    dir = parent;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Load order: defaults < file < DROVER_* env < flags. Fails listing every bad path. */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const issues: InputIssue[] = [];
  const explicit = options.file !== undefined;
  const root = explicit ? options.cwd : (findProjectRoot(options.cwd) ?? options.cwd);
  const file = path.resolve(root, options.file ?? defaultConfigFile);
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    const read = readConfigText(readFileSync(file, "utf8"));
    if ("problem" in read) issues.push({ source: file, path: read.where, message: read.problem });
    else fromFile = read.value;
  } else if (explicit) {
    issues.push({ source: "--config", path: "", message: `file not found: ${file}` });
  }

  const merged = structuredClone(fromFile);
  const sourceOf = new Map<string, string>();
  for (const [name, spec] of Object.entries(envMap)) {
    const raw = options.env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (spec.kind === "int") {
      value = /^\d+$/.test(raw) ? Number(raw) : raw;
    }
    setPath(merged, spec.path, value);
    sourceOf.set(spec.path.join("."), name);
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    const keyPath = key.split(".");
    setPath(merged, keyPath, value);
    sourceOf.set(key, flagNames[key] ?? `--${key}`);
  }

  if (issues.length > 0) throw badInput("bad_config", issues);
  const result = DroverConfig.safeParse(merged);
  if (!result.success) {
    throw badInput(
      "bad_config",
      zodIssues(result.error, (p) => sourceOf.get(p) ?? (existsSync(file) ? file : "config")),
    );
  }
  const isSet = (dotted: string) => getPath(merged, dotted.split(".")) !== undefined;
  const contradictions = watchdogContradictions(result.data.watchdog, result.data.taskTimeout, isSet);
  if (contradictions.length > 0) {
    throw badInput(
      "bad_config",
      contradictions.map((problem) => {
        const dotted = problem.path.join(".");
        return {
          source: sourceOf.get(dotted) ?? (existsSync(file) ? file : "config"),
          path: dotted,
          message: problem.message,
        };
      }),
    );
  }
  const appKey = result.data.tokens.github;
  const keyProblem = appKey && privateKeyProblem(privateKeyFile(appKey, root));
  if (keyProblem) {
    const source = existsSync(file) ? file : "config";
    throw badInput("bad_config", [{ source, path: "tokens.github.privateKeyPath", message: keyProblem }]);
  }
  const config = deepFreeze(result.data);
  // A state dir named by a flag or the environment is relative to where the command runs; one from
  // the config file (or the default) to the project's folder.
  const stateDirBase = sourceOf.has("stateDir") ? options.cwd : root;
  return {
    config,
    ...(existsSync(file) ? { file } : {}),
    stateDir: path.resolve(stateDirBase, config.stateDir),
    root: path.resolve(root),
  };
}

/**
 * drover.json is JSON that may carry `//` and block comments and trailing commas (as tsconfig.json
 * may), so `drover init` can explain each setting where it stands.
 */
export function readConfigText(
  text: string,
): { value: Record<string, unknown> } | { problem: string; where: string } {
  const errors: ParseError[] = [];
  const parsed: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const line = text.slice(0, first.offset).split("\n").length;
    return { problem: `not valid JSON: ${printParseErrorCode(first.error)}`, where: `line ${line}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { problem: "must be a JSON object", where: "" };
  return { value: parsed as Record<string, unknown> };
}

function getPath(value: unknown, keys: readonly string[]): unknown {
  let at = value;
  for (const key of keys) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Turns zod issues into drover input issues with dotted paths (`tasks[2].prompt`). */
export function zodIssues(error: z.ZodError, sourceFor: (path: string) => string): InputIssue[] {
  return error.issues.map((issue) => {
    const dotted = formatPath(issue.path);
    return { source: sourceFor(dotted), path: dotted, message: plainMessage(issue) };
  });
}

const typeWords: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object (key: value pairs)",
};

/** zod's message in words a user knows: "`prompt` is required", not "expected string, received undefined". */
function plainMessage(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? `\`${String(issue.path.at(-1))}\`` : "the value";
  // A message the schema wrote itself ("must not be empty") is kept, with the field's name.
  const custom = !/^(Too small|Too big|Invalid)/.test(issue.message);
  if (custom && issue.code !== "unrecognized_keys")
    return /^must /.test(issue.message) ? `${field} ${issue.message}` : issue.message;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field(s): ${issue.keys.join(", ")}`;
    case "invalid_type": {
      if (/received undefined/.test(issue.message)) return `${field} is required`;
      const expected = typeWords[issue.expected] ?? issue.expected;
      return `${field} must be ${expected}`;
    }
    case "too_small":
      if (issue.origin === "number") return `${field} must be at least ${issue.minimum}`;
      if (issue.origin === "array") return `${field} must list at least ${issue.minimum}`;
      if (issue.origin === "string")
        return issue.minimum === 1 ? `${field} must not be empty` : issue.message;
      return issue.message;
    case "too_big":
      if (issue.origin === "number") return `${field} must be at most ${issue.maximum}`;
      if (issue.origin === "string") return `${field} must be at most ${issue.maximum} characters`;
      return issue.message;
    case "invalid_value":
      return `${field} must be one of: ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    default:
      return issue.message;
  }
}

export function formatPath(parts: readonly PropertyKey[]): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
