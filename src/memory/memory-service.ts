import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { DroverError } from "../core/errors.ts";
import { refuseSecrets, type TextToScan } from "../security/secret-issue.ts";
import type { MemoryRecord, MemoryTable } from "../store/memories.ts";

/** The namespace every runner can read with `--shared`. */
export const sharedNamespace = "shared";

export const memoryLimits = {
  maxContentBytes: 16 * 1024,
  maxEntriesPerNamespace: 10_000,
  maxBytesPerNamespace: 50 * 1024 * 1024,
  /** How much one point of usefulness feedback is worth against bm25. */
  usefulnessWeight: 0.5,
};

const namespacePattern = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/;

export interface StoreResult {
  id: number;
  duplicate: boolean;
  pruned: number;
}

/**
 * Namespaced memory with full-text recall (FTS5, bm25). Deduplicates normalized text, refuses
 * secrets, keeps each namespace within caps, and ranks entries that proved useful higher.
 */
export class MemoryService {
  readonly #table: MemoryTable;
  readonly #clock: Clock;

  constructor(table: MemoryTable, clock: Clock) {
    this.#table = table;
    this.#clock = clock;
  }

  store(input: {
    namespace: string;
    content: string;
    tags?: readonly string[];
    type?: string;
    /** Accept content or tags that look like they contain a secret (refused by default). */
    allowSecrets?: boolean;
  }): StoreResult {
    const namespace = checkNamespace(input.namespace);
    const content = input.content.trim();
    if (!content) throw new DroverError("bad_input", "memory content is empty");
    if (Buffer.byteLength(content) > memoryLimits.maxContentBytes) {
      throw new DroverError(
        "bad_input",
        `memory content is ${Buffer.byteLength(content)} bytes; the limit is ${memoryLimits.maxContentBytes}`,
      );
    }
    if (!input.allowSecrets) refuseSecrets(memoryTexts(namespace, content, input.tags ?? []));
    const hash = createHash("sha256").update(normalize(content)).digest("hex");
    const existing = this.#table.findByHash(namespace, hash);
    if (existing) return { id: existing.id, duplicate: true, pruned: 0 };
    const id = this.#table.insert({
      namespace,
      type: input.type ?? "note",
      tags: (input.tags ?? [])
        .map((tag) => tag.trim())
        .filter(Boolean)
        .join(","),
      content,
      hash,
      now: this.#clock.now(),
    });
    const overflow = this.#table.overflow(
      namespace,
      memoryLimits.maxEntriesPerNamespace,
      memoryLimits.maxBytesPerNamespace,
    );
    return { id, duplicate: false, pruned: this.#table.delete(overflow.filter((dropped) => dropped !== id)) };
  }

  /** Entries of the namespace (and the shared one) that match the query, best first. */
  recall(input: { namespace: string; query: string; limit?: number; shared?: boolean }): MemoryRecord[] {
    const namespace = checkNamespace(input.namespace);
    const match = toMatchQuery(input.query);
    if (!match) return [];
    const namespaces =
      input.shared && namespace !== sharedNamespace ? [namespace, sharedNamespace] : [namespace];
    const found = this.#table.search(namespaces, match, input.limit ?? 5, memoryLimits.usefulnessWeight);
    this.#table.markRecalled(
      found.map((entry) => entry.id),
      this.#clock.now(),
    );
    return found;
  }

  /** Feedback: a useful entry ranks higher in later recalls, a useless one lower. */
  feedback(id: number, useful: boolean): void {
    if (!this.#table.adjustUsefulness(id, useful ? 1 : -1))
      throw new DroverError("not_found", `no memory ${id}`);
  }

  list(namespace?: string, limit = 50): MemoryRecord[] {
    return this.#table.list(namespace ? checkNamespace(namespace) : undefined, limit);
  }

  forget(id: number): void {
    if (this.#table.delete([id]) === 0) throw new DroverError("not_found", `no memory ${id}`);
  }

  /** Drops entries not recalled for `olderThanDays`, then trims every namespace to its caps. */
  prune(input: { namespace?: string; olderThanDays?: number }): number {
    const namespace = input.namespace ? checkNamespace(input.namespace) : undefined;
    let removed = 0;
    if (input.olderThanDays !== undefined) {
      removed += this.#table.delete(
        this.#table.olderThan(namespace, this.#clock.now() - input.olderThanDays * 86_400_000),
      );
    }
    for (const entry of this.#table.namespaces()) {
      if (namespace && entry.namespace !== namespace) continue;
      removed += this.#table.delete(
        this.#table.overflow(
          entry.namespace,
          memoryLimits.maxEntriesPerNamespace,
          memoryLimits.maxBytesPerNamespace,
        ),
      );
    }
    return removed;
  }

  namespaces(): { namespace: string; count: number; bytes: number }[] {
    return this.#table.namespaces();
  }
}

/** What a memory holds that could hold a secret: its content and its tags. */
function memoryTexts(namespace: string, content: string, tags: readonly string[]): TextToScan[] {
  const source = `memory "${namespace}"`;
  const override = 'pass --allow-secrets ("allowSecrets": true in the API)';
  return [
    { source, path: "content", what: "the memory", text: content, override },
    ...tags.map((tag, i) => ({ source, path: `tags[${i}]`, what: `tag ${i + 1}`, text: tag, override })),
  ];
}

function checkNamespace(namespace: string): string {
  if (!namespacePattern.test(namespace)) {
    throw new DroverError(
      "bad_input",
      `namespace "${namespace}": use a letter, then letters, digits, ".", "_" or "-" (64 at most)`,
    );
  }
  return namespace;
}

/** Lower case, collapsed whitespace, no trailing punctuation: "Use X." and "use  x" are the same memory. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[.!?;,\s]+$/, "")
    .trim();
}

/** An FTS5 query matching any of the query's words (quoted, so no operator injection). */
export function toMatchQuery(query: string): string | undefined {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [])].slice(0, 32);
  return words.length > 0 ? words.map((word) => `"${word}"`).join(" OR ") : undefined;
}
