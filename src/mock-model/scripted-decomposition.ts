import type { ChatRequest } from "./openai-types.ts";

// How the scripted model answers drover's decomposition requests: the brief's outline decides.
// A brief that lists two or more parts (`- …`, `* …`, `1. …`) is composite, one subtask per
// top-level item (indented lines under an item belong to it, so it can be split again one level
// down); any other brief is atomic. Documented in docs/scripted-model.md.

/** A top-level list item of the brief: its first line (after the marker) and the lines under it. */
interface OutlineItem {
  head: string;
  body: string[];
}

/** A brief read as an outline: its list items, and the text outside them (where directives count). */
export interface BriefOutline {
  items: OutlineItem[];
  scope: string;
}

/**
 * `{ max }` when the request asks for drover's decomposition report (the structured-output tool's
 * schema has `kind: atomic | composite`); `max` is the schema's `subtasks.maxItems` (default 5).
 */
export function decompositionAsked(tools: ChatRequest["tools"]): { max: number } | undefined {
  const tool = (tools ?? []).find((entry) => entry.function?.name === "StructuredOutput");
  const properties = (tool?.function?.parameters as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  const kind = properties?.kind as { enum?: unknown[] } | undefined;
  if (!kind?.enum?.includes("composite")) return undefined;
  const maxItems = (properties?.subtasks as { maxItems?: unknown } | undefined)?.maxItems;
  return { max: typeof maxItems === "number" && maxItems >= 2 ? maxItems : 5 };
}

/** The brief inside `<brief>…</brief>` (how drover's prompt carries it), else the whole text. */
export function briefOf(text: string): string {
  const match = /<brief>\n?([\s\S]*?)\n?<\/brief>/.exec(text);
  return match ? (match[1] as string) : text;
}

const bullet = /^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$/;

/** Splits a brief into its top-level list items and the text outside them. */
export function outlineOf(brief: string): BriefOutline {
  const lines = brief.split("\n");
  const indents = lines.flatMap((line) => {
    const match = bullet.exec(line);
    return match ? [(match[1] as string).length] : [];
  });
  const top = Math.min(...indents);
  const items: OutlineItem[] = [];
  const scope: string[] = [];
  let current: OutlineItem | undefined;
  for (const line of lines) {
    const match = bullet.exec(line);
    const indent = line.length - line.trimStart().length;
    if (match && (match[1] as string).length === top) {
      current = { head: (match[2] as string).trim(), body: [] };
      items.push(current);
    } else if (current && (line.trim() === "" || indent > top)) {
      current.body.push(line);
    } else {
      current = undefined;
      scope.push(line);
    }
  }
  return { items, scope: scope.join("\n") };
}

/** The scripted decomposition report for a brief: atomic unless it lists two or more parts. */
export function scriptedDecomposition(outline: BriefOutline, max: number, forceAtomic: boolean): unknown {
  if (forceAtomic) return { kind: "atomic", reason: "scripted: [[atomic]] in the brief" };
  if (outline.items.length < 2)
    return { kind: "atomic", reason: "scripted: the brief does not list two or more parts" };
  const parts = outline.items.map(toSubtask);
  const subtasks = parts.length > max ? mergeOverflow(parts, max) : parts;
  return {
    kind: "composite",
    reason: `scripted: the brief lists ${outline.items.length} parts`,
    subtasks,
  };
}

interface ScriptedSubtask {
  title: string;
  prompt: string;
  dependsOn: number[];
  touches: string[];
}

const afterPattern = /(?:^|\s)after:(\d+(?:,\d+)*)(?=\s|$)/;
const touchesPattern = /(?:^|\s)touches:(\S+)/;

function toSubtask(item: OutlineItem, index: number): ScriptedSubtask {
  const after = afterPattern.exec(item.head)?.[1];
  const touches = touchesPattern.exec(item.head)?.[1];
  const head = item.head.replace(afterPattern, " ").replace(touchesPattern, " ").replace(/\s+/g, " ").trim();
  const title = head
    .replace(/\[\[[\s\S]*?\]\]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 80);
  return {
    title: title || `Part ${index + 1}`,
    prompt: [head, ...dedent(item.body)].join("\n").trim(),
    dependsOn: after ? after.split(",").map(Number) : [],
    touches: touches ? touches.split(",").filter(Boolean) : [],
  };
}

/** Keeps the first `max - 1` parts and lists the rest in the last one (a real model would group them). */
function mergeOverflow(parts: ScriptedSubtask[], max: number): ScriptedSubtask[] {
  const kept = parts.slice(0, max - 1);
  const rest = parts.slice(max - 1);
  const clamp = (position: number) => Math.min(position, max);
  const merged: ScriptedSubtask = {
    title: `${rest[0]?.title ?? "Rest"} and ${rest.length - 1} more`,
    prompt: rest.map((part) => `- ${part.prompt.split("\n").join("\n  ")}`).join("\n"),
    dependsOn: rest.flatMap((part) => part.dependsOn).filter((position) => position < max),
    touches: rest.flatMap((part) => part.touches),
  };
  return [...kept, merged].map((part, index) => ({
    ...part,
    dependsOn: [...new Set(part.dependsOn.map(clamp))].filter((position) => position !== index + 1),
    touches: [...new Set(part.touches)],
  }));
}

function dedent(lines: readonly string[]): string[] {
  const filled = lines.filter((line) => line.trim() !== "");
  const cut = Math.min(...filled.map((line) => line.length - line.trimStart().length));
  return lines.map((line) => (line.trim() === "" ? "" : line.slice(cut)));
}
