/**
 * Exact secret values this process holds and hands on — provider keys from its environment,
 * OpenCode servers' passwords, GitHub tokens — so redaction removes them even when they have no
 * recognisable shape (a random password is just 32 letters and digits). Filled by the composition
 * root (app.ts) and by whatever makes a secret (a server's password); read by `redactSecrets`.
 */
export class KnownSecrets {
  /** Value → the names it is known by (a value registered twice stays until both forget it). */
  readonly #values = new Map<string, string[]>();
  #pattern: RegExp | undefined;

  /**
   * Registers a value under a name (e.g. `MYLLM_API_KEY`); values too short or plain to be secrets
   * (`ollama`, `not-needed`) are ignored, since redacting them would mangle ordinary text. Returns a
   * function that forgets this registration.
   */
  add(name: string, value: string | undefined): () => void {
    if (value === undefined || !isWorthRedacting(value)) return () => {};
    const names = this.#values.get(value) ?? [];
    names.push(name);
    this.#values.set(value, names);
    this.#pattern = undefined;
    let forgotten = false;
    return () => {
      if (forgotten) return;
      forgotten = true;
      const left = this.#values.get(value)?.filter((_, i, all) => i !== all.indexOf(name)) ?? [];
      if (left.length > 0) this.#values.set(value, left);
      else this.#values.delete(value);
      this.#pattern = undefined;
    };
  }

  get size(): number {
    return this.#values.size;
  }

  /** Where known values occur in the text, each with the name it was registered under. */
  find(text: string): { name: string; start: number; end: number }[] {
    if (this.#values.size === 0) return [];
    this.#pattern ??= new RegExp(
      // Longest first, so a value containing another is matched whole.
      [...this.#values.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    const found: { name: string; start: number; end: number }[] = [];
    for (const match of text.matchAll(this.#pattern)) {
      const name = this.#values.get(match[0])?.[0] ?? "a known secret";
      found.push({ name, start: match.index, end: match.index + match[0].length });
    }
    return found;
  }
}

/** This process's registry: the values drover itself holds are a property of the process. */
export const knownSecrets = new KnownSecrets();

/** Environment variable names that hold credentials: `*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`… */
const secretEnvName =
  /(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|SECRET_KEY|PASSWORD|PASSWD|PASS|PAT|CREDENTIALS?|AUTH_TOKEN)(?:_|$)|PASSWORD/i;

/** Says whether an environment variable of this name holds a credential. */
export function isSecretEnvName(name: string): boolean {
  return secretEnvName.test(name);
}

/**
 * Registers the values of every credential-named variable of an environment (the one drover runs
 * in, whose `*_API_KEY`s and tokens it passes to its workers). Returns a function forgetting them.
 */
export function registerEnvSecrets(
  env: NodeJS.ProcessEnv,
  registry: KnownSecrets = knownSecrets,
): () => void {
  const forgets = Object.entries(env)
    .filter(([name, value]) => value !== undefined && isSecretEnvName(name) && !looksLikePathOrUrl(value))
    .map(([name, value]) => registry.add(name, value));
  return () => {
    for (const forget of forgets) forget();
  };
}

/**
 * Registers literal credentials in an OpenCode config (`provider.*.options.apiKey`, headers), and
 * the environment values its `{env:NAME}` references resolve to.
 */
export function registerConfigSecrets(
  config: unknown,
  env: NodeJS.ProcessEnv,
  registry: KnownSecrets = knownSecrets,
): () => void {
  const forgets: (() => void)[] = [];
  const visit = (value: unknown, key: string) => {
    if (typeof value === "string") {
      for (const match of value.matchAll(/\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        const name = match[1] as string;
        forgets.push(registry.add(name, env[name]));
      }
      if (isCredentialKey(key) && !value.includes("{env:") && !value.includes("{file:"))
        forgets.push(registry.add(`opencode config ${key}`, value));
      return;
    }
    if (Array.isArray(value)) for (const item of value) visit(item, key);
    else if (value !== null && typeof value === "object")
      for (const [name, item] of Object.entries(value)) visit(item, name);
  };
  visit(config, "");
  return () => {
    for (const forget of forgets) forget();
  };
}

/**
 * What the composition root registers at start: the credentials in drover's environment (provider
 * keys, `GH_TOKEN`, an attached server's password) and those in its OpenCode config. Servers'
 * own passwords are registered where they are made. Returns a function forgetting them all.
 */
export function registerDroverSecrets(
  env: NodeJS.ProcessEnv,
  opencodeConfig: unknown,
  registry: KnownSecrets = knownSecrets,
): () => void {
  const forgetEnv = registerEnvSecrets(env, registry);
  const forgetConfig = registerConfigSecrets(opencodeConfig, env, registry);
  return () => {
    forgetEnv();
    forgetConfig();
  };
}

function isCredentialKey(key: string): boolean {
  return /^(?:api[_-]?key|apikey|token|secret|password|authorization|x-api-key)$/i.test(key);
}

/**
 * A value worth redacting wherever it appears: long enough, and not a plain word (`ollama`,
 * `drover-scripted`): it mixes letters and digits, or is long and varied.
 */
function isWorthRedacting(value: string): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  const letters = /[A-Za-z]/.test(value);
  const digits = /[0-9]/.test(value);
  return (letters && digits) || (value.length >= 20 && new Set(value).size >= 10);
}

function looksLikePathOrUrl(value: string): boolean {
  return /^[~.]?\//.test(value) || value.includes("://");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
