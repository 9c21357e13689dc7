import { z } from "zod";

// What the model answers when asked to classify (and maybe split) a brief: asked for as OpenCode
// structured output with decompositionJsonSchema(), checked with checkDecompositionReport().

const SubtaskReport = z.object({
  title: z.string().trim().min(1, "must not be empty").max(200),
  prompt: z.string().trim().min(1, "must not be empty"),
  /** 1-based positions of the sibling subtasks that must be done first. */
  dependsOn: z.array(z.number().int("must be whole numbers")).default([]),
  touches: z.array(z.string().trim().min(1, "must not be empty")).default([]),
});
export type SubtaskReport = z.infer<typeof SubtaskReport>;

const DecompositionReport = z.object({
  kind: z.enum(["atomic", "composite"]),
  reason: z.string().trim().min(1, "must not be empty"),
  subtasks: z.array(SubtaskReport).optional(),
});

/** A usable answer: atomic (no subtasks), or composite with 2..max subtasks whose edges make no cycle. */
export interface Classification {
  kind: "atomic" | "composite";
  reason: string;
  subtasks: SubtaskReport[];
}

/** The JSON Schema sent as the structured-output format (the scripted model recognises it by `kind`). */
export function decompositionJsonSchema(max: number): Record<string, unknown> {
  return {
    type: "object",
    properties: {
      kind: {
        type: "string",
        enum: ["atomic", "composite"],
        description:
          "atomic: one agent can do it well in one session; composite: better done as separate tasks. When in doubt, atomic.",
      },
      reason: { type: "string", description: "One sentence: why." },
      subtasks: {
        type: "array",
        minItems: 2,
        maxItems: max,
        description: `For composite only: 2 to ${max} subtasks.`,
        items: {
          type: "object",
          properties: {
            title: { type: "string", description: "A short name, a few words." },
            prompt: {
              type: "string",
              description: "Everything its agent must know and do; the agent sees only this.",
            },
            dependsOn: {
              type: "array",
              items: { type: "integer" },
              description: "Numbers (1-based) of the other subtasks that must be done before this one.",
            },
            touches: {
              type: "array",
              items: { type: "string" },
              description: 'Globs of the files and folders it will change, e.g. "src/api/**".',
            },
          },
          required: ["title", "prompt", "dependsOn", "touches"],
        },
      },
    },
    required: ["kind", "reason"],
  };
}

/** Checks a report; returns the classification, or every problem found (subtasks counted from 1). */
export function checkDecompositionReport(
  raw: unknown,
  max: number,
): { classification: Classification } | { problems: string[] } {
  const parsed = DecompositionReport.safeParse(raw);
  if (!parsed.success) return { problems: parsed.error.issues.map(describeIssue) };
  const { kind, reason } = parsed.data;
  if (kind === "atomic") return { classification: { kind, reason, subtasks: [] } };
  const subtasks = parsed.data.subtasks ?? [];
  const problems: string[] = [];
  if (subtasks.length < 2) problems.push(`composite needs at least 2 subtasks, got ${subtasks.length}`);
  if (subtasks.length > max) problems.push(`at most ${max} subtasks are allowed, got ${subtasks.length}`);
  subtasks.forEach((subtask, index) => {
    for (const position of subtask.dependsOn) {
      if (position === index + 1) problems.push(`subtask ${index + 1} depends on itself`);
      else if (position < 1 || position > subtasks.length)
        problems.push(
          `subtask ${index + 1} dependsOn ${position}: there is no subtask ${position} (1-${subtasks.length})`,
        );
    }
  });
  const cycle = problems.length === 0 ? findCycle(subtasks) : undefined;
  if (cycle) problems.push(`subtasks depend on each other in a cycle: ${cycle.join(" → ")}`);
  return problems.length > 0 ? { problems } : { classification: { kind, reason, subtasks } };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const [top, index, ...rest] = issue.path;
  const where =
    top === "subtasks" && typeof index === "number"
      ? `subtask ${index + 1}${rest.length ? ` ${rest.join(".")}` : ""}`
      : issue.path.join(".") || "the report";
  return `${where}: ${issue.message}`;
}

/** One cycle of positions (first repeated at the end), or undefined; subtasks are few, so plain DFS. */
function findCycle(subtasks: readonly SubtaskReport[]): number[] | undefined {
  const state = new Map<number, "open" | "done">();
  const walk = (position: number, trail: number[]): number[] | undefined => {
    if (state.get(position) === "done") return undefined;
    if (state.get(position) === "open") return [...trail.slice(trail.indexOf(position)), position];
    state.set(position, "open");
    for (const next of subtasks[position - 1]?.dependsOn ?? []) {
      const found = walk(next, [...trail, position]);
      if (found) return found;
    }
    state.set(position, "done");
    return undefined;
  };
  for (let position = 1; position <= subtasks.length; position++) {
    const found = walk(position, []);
    if (found) return found;
  }
  return undefined;
}
