import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { secretPatterns } from "../../src/security/secret-patterns.ts";
import { findSecretKinds, redactSecrets } from "../../src/security/secret-scan.ts";

interface CorpusLine {
  label: string;
  /** The sample as committed (real shapes still split by `%%`). */
  raw: string;
  /** The text scanned: `%%` removed, `\n` and `\\` unescaped. */
  text: string;
  line: number;
}

/** Reads a corpus file: `LABEL | SAMPLE` lines; `#` comments and blank lines skipped. */
function readCorpus(name: string): CorpusLine[] {
  const file = new URL(`../fixtures/secrets/${name}`, import.meta.url);
  return readFileSync(file, "utf8")
    .split("\n")
    .map((content, index) => ({ content, line: index + 1 }))
    .filter(({ content }) => content.trim() !== "" && !content.startsWith("#"))
    .map(({ content, line }) => {
      const cut = content.indexOf(" | ");
      assert.ok(cut > 0, `${name}:${line} is not "LABEL | SAMPLE"`);
      const raw = content.slice(cut + 3);
      const text = raw.replaceAll("%%", "").replace(/\\(n|\\)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
      return { label: content.slice(0, cut), raw, text, line };
    });
}

const realShapes = readCorpus("real-shapes.txt");
const lookAlikes = readCorpus("look-alikes.txt");

describe("the secret corpus", () => {
  it("catches every real shape, naming its kind", () => {
    const missed = realShapes
      .filter(({ label, text }) => !findSecretKinds(text).includes(label))
      .map(
        ({ label, text, line }) =>
          `line ${line} (${label}): ${JSON.stringify(findSecretKinds(text))} ${text}`,
      );
    assert.deepEqual(missed, []);
  });

  it("redacts the secret of every real shape", () => {
    for (const { text, line } of realShapes) {
      const redacted = redactSecrets(text);
      assert.match(redacted, /\[redacted\]/, `line ${line}`);
      assert.deepEqual(findSecretKinds(redacted), [], `line ${line} still holds a secret: ${redacted}`);
    }
  });

  it("has a sample of every kind the scanner names", () => {
    const covered = new Set(realShapes.map(({ label }) => label));
    assert.deepEqual(
      secretPatterns.map(({ kind }) => kind).filter((kind) => !covered.has(kind)),
      [],
    );
  });

  it("takes none of the look-alikes for a secret", () => {
    const caught = lookAlikes
      .map(({ label, text, line }) => ({ label, line, kinds: findSecretKinds(text) }))
      .filter(({ kinds }) => kinds.length > 0);
    assert.deepEqual(caught, []);
    for (const { text } of lookAlikes) assert.equal(redactSecrets(text), text);
  });

  it("holds no provider's key shape as committed: every real shape is split by %%", () => {
    // What push protection looks for are providers' shapes; a split `token: %%…` may still read
    // as an assignment, which no one's scanner blocks.
    const contextKinds = new Set([
      "password in URL",
      "authorization header credential",
      "password or token assignment",
      "high-entropy string in credential context",
    ]);
    for (const { raw, line } of realShapes) {
      assert.ok(raw.includes("%%"), `line ${line} has no %% split`);
      const shapes = findSecretKinds(raw).filter((kind) => !contextKinds.has(kind));
      assert.deepEqual(shapes, [], `line ${line} holds a key shape as committed`);
    }
  });
});
