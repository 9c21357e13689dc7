import { createHash } from "node:crypto";

/**
 * drover's marker: the first frontmatter line of an agent file drover wrote, a YAML comment that
 * OpenCode ignores. It names the runner and hashes the rest of the file, so drover can tell its
 * own unchanged file from one a person wrote or edited, without a column in the store.
 */
const markerLine = /^---\r?\n(# Written by drover for runner "([^"]*)" \(sha256 ([0-9a-f]{16})\)[^\n]*\n)/;

/** Who an agent file belongs to now. */
export type AgentFileOwner =
  /** drover wrote it for this runner and nobody changed it since: drover may rewrite or delete it. */
  | "drover"
  /** drover wrote it, then someone edited it: drover leaves it alone. */
  | "edited"
  /** no marker (or another runner's): a person's file, never rewritten or deleted by drover. */
  | "user";

/** Adds drover's marker to a rendered agent file (which starts with its `---` frontmatter line). */
export function markAgentFile(runner: string, rendered: string): string {
  const rest = rendered.replace(/^---\r?\n/, "");
  return `---\n# Written by drover for runner "${runner}" (sha256 ${hashOf(rendered)}). drover rewrites and deletes this file only while it is unchanged.\n${rest}`;
}

/** Reads the marker and checks the content against its hash. */
export function agentFileOwner(runner: string, text: string): AgentFileOwner {
  const match = markerLine.exec(text);
  if (!match || match[2] !== runner) return "user";
  const unmarked = text.replace(match[1] as string, "");
  return hashOf(unmarked) === match[3] ? "drover" : "edited";
}

function hashOf(text: string): string {
  return createHash("sha256").update(text.replace(/\r\n/g, "\n")).digest("hex").slice(0, 16);
}
