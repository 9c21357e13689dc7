import { redactSecrets } from "./secret-scan.ts";

/**
 * A JSON-like value with every string in it passed through `redactSecrets` (keys are kept): for
 * event bodies, stored failures and results files. Returns the very same value when nothing
 * changed, so the common case copies nothing.
 */
export function redactSecretsIn<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => redactSecretsIn(item));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const redacted = redactSecretsIn(item);
      if (redacted !== item) changed = true;
      return [key, redacted] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
